/* SPDX-License-Identifier: MIT */
/*
 * Logging: one printf-checked function with a level and a subsystem.
 * Anything a guest can trigger goes through cellvm_log_ratelimited(), which
 * keeps its state in a caller-provided struct (no hidden globals).
 */
#ifndef CELLVM_LOG_H
#define CELLVM_LOG_H

#include <stdint.h>
#include "err.h"

enum cellvm_log_level {
	CELLVM_LOG_ERROR,
	CELLVM_LOG_WARN,
	CELLVM_LOG_INFO,
	CELLVM_LOG_DEBUG,
};

/*
 * Where log lines go. A VM owns one; NULL sink (or a NULL struct) means
 * stderr at WARN. Tests install a capture callback to assert on messages.
 */
struct cellvm_log {
	enum cellvm_log_level level;
	void (*sink)(void *opaque, enum cellvm_log_level lvl, const char *line);
	void *opaque;
};

void cellvm_log(const struct cellvm_log *log, enum cellvm_log_level lvl,
		const char *subsys, const char *fmt, ...) CELLVM_PRINTF(4, 5);

/*
 * Rate limit state: at most `burst` lines per `interval_ms`, then one
 * "N messages suppressed" line when the window reopens. Zero-initialise.
 */
struct cellvm_ratelimit {
	uint64_t window_start_ms;
	unsigned printed;
	unsigned suppressed;
};

#define CELLVM_RATELIMIT_BURST 10
#define CELLVM_RATELIMIT_INTERVAL_MS 5000

/* Returns 1 if the line was printed, 0 if suppressed. Not thread-safe per
 * state: callers hold the lock protecting the state they pass. */
int cellvm_log_ratelimited(const struct cellvm_log *log,
			   struct cellvm_ratelimit *rl,
			   enum cellvm_log_level lvl, const char *subsys,
			   const char *fmt, ...) CELLVM_PRINTF(5, 6);

#define log_err(l, s, ...) cellvm_log(l, CELLVM_LOG_ERROR, s, __VA_ARGS__)
#define log_warn(l, s, ...) cellvm_log(l, CELLVM_LOG_WARN, s, __VA_ARGS__)
#define log_info(l, s, ...) cellvm_log(l, CELLVM_LOG_INFO, s, __VA_ARGS__)
#define log_debug(l, s, ...) cellvm_log(l, CELLVM_LOG_DEBUG, s, __VA_ARGS__)

#endif
