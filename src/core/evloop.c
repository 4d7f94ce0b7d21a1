// SPDX-License-Identifier: MIT
/*
 * The host event loop: an epoll set plus an eventfd that wakes it (a stop
 * request, or work posted from another thread). It runs on the thread that
 * called cellvm_vm_run() while the vCPUs run on their own threads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/evloop.h"
#include "core/vm.h"

#define EVLOOP_MAX_HANDLERS 32

struct evloop_handler {
	int fd;
	cellvm_ev_fn fn;
	void *opaque;
};

struct cellvm_evloop {
	int epfd;
	int wakefd;
	pthread_mutex_t lock;
	struct evloop_handler h[EVLOOP_MAX_HANDLERS];
};

int evloop_create(struct cellvm_evloop **out, struct cellvm_err *err)
{
	struct cellvm_evloop *l = calloc(1, sizeof(*l));
	struct epoll_event ev = { .events = EPOLLIN };
	unsigned i;

	if (!l)
		return cellvm_err_set(err, CELLVM_E_INTERNAL, ENOMEM,
				      "event loop: out of memory");
	for (i = 0; i < EVLOOP_MAX_HANDLERS; i++)
		l->h[i].fd = -1;
	pthread_mutex_init(&l->lock, NULL);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ev.data.ptr = NULL;
	if (l->epfd < 0 || l->wakefd < 0 ||
	    epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->wakefd, &ev) < 0) {
		int e = errno;

		evloop_destroy(l);
		return cellvm_err_set(err, CELLVM_E_INTERNAL, e,
				      "event loop: %s", strerror(e));
	}
	*out = l;
	return 0;
}

void evloop_destroy(struct cellvm_evloop *l)
{
	if (!l)
		return;
	if (l->epfd >= 0)
		close(l->epfd);
	if (l->wakefd >= 0)
		close(l->wakefd);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

int cellvm_evloop_add(struct cellvm_evloop *l, int fd, uint32_t events,
		      cellvm_ev_fn fn, void *opaque)
{
	struct epoll_event ev = { .events = events };
	int ret = -ENOSPC;
	unsigned i;

	pthread_mutex_lock(&l->lock);
	for (i = 0; i < EVLOOP_MAX_HANDLERS; i++) {
		if (l->h[i].fd >= 0)
			continue;
		l->h[i] = (struct evloop_handler){ fd, fn, opaque };
		ev.data.ptr = &l->h[i];
		ret = epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
		if (ret)
			l->h[i].fd = -1;
		break;
	}
	pthread_mutex_unlock(&l->lock);
	return ret;
}

static struct evloop_handler *evloop_find(struct cellvm_evloop *l, int fd)
{
	unsigned i;

	for (i = 0; i < EVLOOP_MAX_HANDLERS; i++)
		if (l->h[i].fd == fd)
			return &l->h[i];
	return NULL;
}

int cellvm_evloop_mod(struct cellvm_evloop *l, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events };
	int ret = -ENOENT;

	pthread_mutex_lock(&l->lock);
	ev.data.ptr = evloop_find(l, fd);
	if (ev.data.ptr)
		ret = epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) ? -errno : 0;
	pthread_mutex_unlock(&l->lock);
	return ret;
}

int cellvm_evloop_del(struct cellvm_evloop *l, int fd)
{
	struct evloop_handler *h;
	int ret = -ENOENT;

	pthread_mutex_lock(&l->lock);
	h = evloop_find(l, fd);
	if (h) {
		ret = epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL) ? -errno : 0;
		h->fd = -1;
	}
	pthread_mutex_unlock(&l->lock);
	return ret;
}

void evloop_wake(struct cellvm_evloop *l)
{
	uint64_t one = 1;

	/* Async-signal-safe: a write to an eventfd. */
	if (l && write(l->wakefd, &one, sizeof(one)) < 0)
		return; /* counter saturated: a wake-up is pending anyway */
}

int evloop_run(struct cellvm_evloop *l, atomic_int *stop)
{
	struct epoll_event ev[16];

	while (atomic_load(stop) == CELLVM_STOP_NONE) {
		int n = epoll_wait(l->epfd, ev, 16, -1);
		int i;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (i = 0; i < n; i++) {
			struct evloop_handler *h = ev[i].data.ptr;
			uint64_t cnt;

			if (!h) {
				if (read(l->wakefd, &cnt, sizeof(cnt)) < 0)
					cnt = 0;
				continue;
			}
			/* A handler deleted earlier in this batch has fd -1. */
			if (h->fd >= 0)
				h->fn(h->opaque, ev[i].events);
		}
	}
	return 0;
}
