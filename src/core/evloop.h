/* SPDX-License-Identifier: MIT */
/*
 * The host event loop: file descriptors whose readiness calls a handler on
 * the event-loop thread (console input, device back-ends that are not on
 * worker threads). Handlers must not block.
 */
#ifndef CELLVM_CORE_EVLOOP_H
#define CELLVM_CORE_EVLOOP_H

#include <stdint.h>
#include "cellvm/err.h"

struct cellvm_evloop;

/* events: EPOLLIN/EPOLLOUT/EPOLLHUP bits as returned by epoll. */
typedef void (*cellvm_ev_fn)(void *opaque, uint32_t events);

int cellvm_evloop_add(struct cellvm_evloop *l, int fd, uint32_t events,
		      cellvm_ev_fn fn, void *opaque) CELLVM_MUST_CHECK;
int cellvm_evloop_mod(struct cellvm_evloop *l, int fd, uint32_t events);
int cellvm_evloop_del(struct cellvm_evloop *l, int fd);

#endif
