// SPDX-License-Identifier: MIT
/* Logging with levels, subsystems and rate limiting: include/cellvm/log.h. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "cellvm/log.h"

static const char *const level_name[] = {
	[CELLVM_LOG_ERROR] = "error",
	[CELLVM_LOG_WARN] = "warning",
	[CELLVM_LOG_INFO] = "info",
	[CELLVM_LOG_DEBUG] = "debug",
};

static void log_emit(const struct cellvm_log *log, enum cellvm_log_level lvl,
		     const char *subsys, const char *fmt, va_list ap)
{
	char line[512];
	int n;

	n = snprintf(line, sizeof(line), "cellvm: %s: %s: ", subsys,
		     level_name[lvl]);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (log && log->sink) {
		log->sink(log->opaque, lvl, line);
		return;
	}
	/* One write per line so lines from several threads do not mix.
	 * "\r\n": the terminal may be in raw mode while the guest runs. */
	fprintf(stderr, "%s\r\n", line);
}

static int log_enabled(const struct cellvm_log *log, enum cellvm_log_level lvl)
{
	enum cellvm_log_level max = log ? log->level : CELLVM_LOG_WARN;

	return lvl <= max;
}

void cellvm_log(const struct cellvm_log *log, enum cellvm_log_level lvl,
		const char *subsys, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(log, lvl))
		return;
	va_start(ap, fmt);
	log_emit(log, lvl, subsys, fmt, ap);
	va_end(ap);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int cellvm_log_ratelimited(const struct cellvm_log *log,
			   struct cellvm_ratelimit *rl,
			   enum cellvm_log_level lvl, const char *subsys,
			   const char *fmt, ...)
{
	uint64_t now = now_ms();
	va_list ap;

	if (now - rl->window_start_ms >= CELLVM_RATELIMIT_INTERVAL_MS ||
	    rl->window_start_ms == 0) {
		if (rl->suppressed)
			cellvm_log(log, lvl, subsys,
				   "%u similar messages suppressed",
				   rl->suppressed);
		rl->window_start_ms = now ? now : 1;
		rl->printed = 0;
		rl->suppressed = 0;
	}
	if (rl->printed >= CELLVM_RATELIMIT_BURST) {
		rl->suppressed++;
		return 0;
	}
	rl->printed++;
	if (!log_enabled(log, lvl))
		return 1;
	va_start(ap, fmt);
	log_emit(log, lvl, subsys, fmt, ap);
	va_end(ap);
	return 1;
}
