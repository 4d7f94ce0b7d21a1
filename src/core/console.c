// SPDX-License-Identifier: MIT
/*
 * The console: the user's terminal (or a pipe) on one side, the guest's
 * console device on the other. Input is read only when there is room in
 * our buffer, and handed to the device only as fast as the guest drains
 * its FIFO, so nothing typed or piped is dropped.
 *
 * Escapes (as QEMU's -serial mon:stdio): Ctrl-A x quits cellvm,
 * Ctrl-A Ctrl-A sends one Ctrl-A; Ctrl-A followed by anything else sends
 * both bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/console.h"
#include "core/evloop.h"
#include "core/thread.h"
#include "core/vm.h"

#define CONSOLE_BUF CELLVM_CONSOLE_HOLD_MAX
#define CONSOLE_ESCAPE 0x01 /* Ctrl-A */
#define CONSOLE_STALL_MS 1000 /* longest wait for a full output */
#define CONSOLE_STALL_SLICE_MS 100

struct cellvm_console {
	struct cellvm_vm *vm;
	int in_fd;
	int out_fd;
	int user_in_fd; /* the caller's input fd, -1 for none */
	int in_flags; /* its file status flags before us, -1: untouched */
	int out_flags; /* the same for the output fd */
	atomic_bool out_stalled; /* output full for a while: dropping */
	_Atomic uint64_t bytes_in, bytes_out; /* console_counters */
	int readyfd; /* eventfd: the device has room again */
	bool in_file; /* a regular file: read when there is room, not polled */
	bool hold_loaded; /* took the caller's held input: give it back */
	bool in_watched;
	bool in_eof;
	bool escape;
	pthread_mutex_t lock; /* guards port and the buffer */
	struct cellvm_console_port port;
	uint8_t buf[CONSOLE_BUF];
	size_t len;
};

/*
 * Wait until the output takes bytes again: at most CONSOLE_STALL_MS, in
 * slices so that a stop request (or a vCPU kick, which interrupts poll)
 * is seen at once. Returns whether the output is writable.
 */
static bool console_wait_out(struct cellvm_console *c)
{
	unsigned waited;

	for (waited = 0; waited < CONSOLE_STALL_MS;
	     waited += CONSOLE_STALL_SLICE_MS) {
		struct pollfd p = { .fd = c->out_fd, .events = POLLOUT };

		if (atomic_load(&c->vm->stop) != CELLVM_STOP_NONE)
			return false;
		if (poll(&p, 1, CONSOLE_STALL_SLICE_MS) > 0)
			return true;
	}
	return false;
}

/*
 * Output never blocks the calling vCPU or device worker for long: the fd
 * is non-blocking, a full output is waited on for at most a second, and
 * after that (nobody reads it) output is dropped, without waiting, until
 * the reader takes bytes again.
 */
void cellvm_console_write(struct cellvm_console *c, const uint8_t *buf,
			  size_t len)
{
	if (!c || len == 0)
		return;
	vm_mark(c->vm, CELLVM_MARK_FIRST_CONSOLE_BYTE);
	while (len > 0) {
		ssize_t n = write(c->out_fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (!atomic_load(&c->out_stalled) &&
			    console_wait_out(c))
				continue;
			if (!atomic_exchange(&c->out_stalled, true))
				cellvm_log(&c->vm->log, CELLVM_LOG_WARN,
					   "console",
					   "output blocked for %u ms: dropping guest output until it is read",
					   CONSOLE_STALL_MS);
			return;
		}
		if (n <= 0)
			return; /* output gone: the guest keeps running */
		atomic_fetch_add_explicit(&c->bytes_out, (uint64_t)n,
					  memory_order_relaxed);
		atomic_store(&c->out_stalled, false);
		buf += n;
		len -= (size_t)n;
	}
}

void console_counters(const struct cellvm_console *cc, uint64_t *in,
		      uint64_t *out)
{
	struct cellvm_console *c = (struct cellvm_console *)cc;

	*in = c ? atomic_load(&c->bytes_in) : 0;
	*out = c ? atomic_load(&c->bytes_out) : 0;
}

void cellvm_console_rx_ready(struct cellvm_console *c)
{
	uint64_t one = 1;

	if (c && write(c->readyfd, &one, sizeof(one)) < 0)
		return; /* already signalled */
}

/* Hand buffered bytes to the device; called on the event-loop thread. */
static void console_push(struct cellvm_console *c)
{
	size_t n = 0;

	pthread_mutex_lock(&c->lock);
	if (c->port.receive && c->len)
		n = c->port.receive(c->port.opaque, c->buf, c->len);
	if (n > c->len)
		n = c->len;
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
	pthread_mutex_unlock(&c->lock);
}

/* Watch the input only while the buffer has room (back-pressure). */
static void console_update_watch(struct cellvm_console *c)
{
	bool want = !c->in_eof && c->len < CONSOLE_BUF - 1;

	if (want == c->in_watched || c->in_fd < 0 || c->in_file)
		return;
	cellvm_evloop_mod(c->vm->loop, c->in_fd, want ? EPOLLIN : 0);
	c->in_watched = want;
}

/* Apply the escape rules to freshly read bytes, appending to the buffer. */
static void console_filter(struct cellvm_console *c, const uint8_t *in,
			   size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t ch = in[i];

		if (c->escape) {
			c->escape = false;
			if (ch == 'x' || ch == 'X') {
				cellvm_vm_request_stop(c->vm, CELLVM_STOP_QUIT);
				return;
			}
			if (ch != CONSOLE_ESCAPE)
				c->buf[c->len++] = CONSOLE_ESCAPE;
		} else if (ch == CONSOLE_ESCAPE) {
			c->escape = true;
			continue;
		}
		c->buf[c->len++] = ch;
	}
}

static void console_input(void *opaque, uint32_t events)
{
	struct cellvm_console *c = opaque;
	uint8_t tmp[CONSOLE_BUF / 2];
	size_t room;
	ssize_t n;

	pthread_mutex_lock(&c->lock);
	room = CONSOLE_BUF - c->len;
	pthread_mutex_unlock(&c->lock);
	/* An escape can expand one byte into two. */
	room = room / 2 < sizeof(tmp) ? room / 2 : sizeof(tmp);
	if (room == 0) {
		console_update_watch(c);
		return;
	}
	n = read(c->in_fd, tmp, room);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* End of input (a pipe closed): the guest keeps running. */
		c->in_eof = true;
		if (!c->in_file)
			cellvm_evloop_del(c->vm->loop, c->in_fd);
		c->in_watched = false;
		return;
	}
	atomic_fetch_add_explicit(&c->bytes_in, (uint64_t)n,
				  memory_order_relaxed);
	pthread_mutex_lock(&c->lock);
	console_filter(c, tmp, (size_t)n);
	pthread_mutex_unlock(&c->lock);
	console_push(c);
	console_update_watch(c);
}

/*
 * The device took bytes (or the console just started): offer it more. A
 * regular file (epoll refuses those) is read here, only as far as there
 * is room: what the guest has not taken stays in the file, so nothing is
 * lost if the VM goes away (a guest reboot).
 */
static void console_ready(void *opaque, uint32_t events)
{
	struct cellvm_console *c = opaque;
	uint64_t cnt;

	if (read(c->readyfd, &cnt, sizeof(cnt)) < 0)
		return;
	console_push(c);
	if (c->in_file && !c->in_eof) {
		size_t room;

		console_input(c, EPOLLIN);
		/* A device may take all it was offered and so never ask for
		 * more: come back while there is room to read into. */
		pthread_mutex_lock(&c->lock);
		room = CONSOLE_BUF - c->len;
		pthread_mutex_unlock(&c->lock);
		if (!c->in_eof && room / 2 > 0)
			cellvm_console_rx_ready(c);
	}
	console_update_watch(c);
}

int console_create(struct cellvm_vm *vm, int in_fd, int out_fd,
		   struct cellvm_console **out, struct cellvm_err *err)
{
	struct cellvm_console *c = calloc(1, sizeof(*c));
	int ret;

	if (!c)
		return cellvm_err_set(err, CELLVM_E_INTERNAL, ENOMEM,
				      "console: out of memory");
	c->vm = vm;
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	c->user_in_fd = -1;
	c->in_flags = -1;
	/* Non-blocking output too (see cellvm_console_write); the flags go
	 * back in console_destroy(). */
	c->out_flags = out_fd >= 0 ? fcntl(out_fd, F_GETFL) : -1;
	if (c->out_flags >= 0)
		fcntl(out_fd, F_SETFL, c->out_flags | O_NONBLOCK);
	pthread_mutex_init(&c->lock, NULL);
	c->readyfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->readyfd < 0) {
		ret = -errno;
		goto fail;
	}
	ret = cellvm_evloop_add(vm->loop, c->readyfd, EPOLLIN, console_ready,
				c);
	if (ret)
		goto fail;
	if (in_fd >= 0) {
		/* Non-blocking reads: the loop must never stall on input. The
		 * flag belongs to a file description the caller (a shell)
		 * shares: put it back in console_destroy(). */
		c->user_in_fd = in_fd;
		c->in_flags = fcntl(in_fd, F_GETFL);
		if (c->in_flags >= 0)
			fcntl(in_fd, F_SETFL, c->in_flags | O_NONBLOCK);
		ret = cellvm_evloop_add(vm->loop, in_fd, EPOLLIN,
					console_input, c);
		if (ret == -EPERM) {
			c->in_file = true; /* see console_ready() */
			ret = 0;
		}
		if (ret)
			goto fail;
		c->in_watched = !c->in_file;
	}
	/* Input a previous VM read but its guest never took comes first. */
	if (vm->cfg.console_hold) {
		const struct cellvm_console_hold *h = vm->cfg.console_hold;

		c->len = h->len < CONSOLE_BUF ? h->len : CONSOLE_BUF;
		memcpy(c->buf, h->buf, c->len);
		c->escape = h->escape;
		c->hold_loaded = true;
	}
	/* A first round on the loop: offer held bytes, read a file. */
	cellvm_console_rx_ready(c);
	*out = c;
	return 0;
fail:
	console_destroy(c);
	return cellvm_err_set(err, CELLVM_E_IO, ret, "console: %s",
			      strerror(-ret));
}

void console_attach(struct cellvm_console *c,
		    const struct cellvm_console_port *port)
{
	pthread_mutex_lock(&c->lock);
	c->port = *port;
	pthread_mutex_unlock(&c->lock);
}

void console_destroy(struct cellvm_console *c)
{
	if (!c)
		return;
	if (c->in_fd >= 0 && !c->in_eof && !c->in_file)
		cellvm_evloop_del(c->vm->loop, c->in_fd);
	/* Hand what the guest did not take to the caller, for the next VM. */
	if (c->hold_loaded) {
		struct cellvm_console_hold *h = c->vm->cfg.console_hold;

		pthread_mutex_lock(&c->lock);
		memcpy(h->buf, c->buf, c->len);
		h->len = c->len;
		h->escape = c->escape;
		pthread_mutex_unlock(&c->lock);
	}
	if (c->readyfd >= 0) {
		cellvm_evloop_del(c->vm->loop, c->readyfd);
		close(c->readyfd);
	}
	/* In reverse order of console_create(): in and out may share one
	 * file description (a terminal), and in's saved flags then include
	 * the O_NONBLOCK set for out. */
	if (c->in_flags >= 0)
		fcntl(c->user_in_fd, F_SETFL, c->in_flags);
	if (c->out_flags >= 0)
		fcntl(c->out_fd, F_SETFL, c->out_flags);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
