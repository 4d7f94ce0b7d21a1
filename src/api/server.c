// SPDX-License-Identifier: MIT
/*
 * The API socket and its clients. Everything sits in one epoll set of its
 * own: the listening socket, up to API_MAX_CLIENTS clients and a timerfd
 * that closes slow and idle clients. That set's fd is what the VM's event
 * loop watches (cellvm_config.control_fd), and what the command polls
 * while it waits for InstanceStart, so the same clients are served before
 * boot, while the guest runs and across its reboots; never on a vCPU
 * thread. All sockets are non-blocking: a stuck client costs a buffer,
 * never a wait.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"

/* How often the timer looks for clients past their deadline. */
#define API_TICK_MS 500
/*
 * A client whose connection ends on our side (an error answered, a
 * Connection: close, or over the cap: answered 400 at once) is drained:
 * our side shut for writing, its input read and dropped until it closes
 * or API_REFUSE_MS pass. Closing at once would fail the client's own send
 * of the rest of its request (EPIPE, a reset) before it reads the answer.
 * At most API_MAX_REFUSING clients over the cap are held; past them,
 * closed at once.
 */
#define API_MAX_REFUSING 8
#define API_REFUSE_MS 1000
#define API_SLOTS (API_MAX_CLIENTS + API_MAX_REFUSING)
#define API_READ_CHUNK 4096

struct api_client {
	int fd; /* -1: free slot */
	struct api_conn *conn;
	uint64_t since_ms; /* start of the current request, or of idling */
	bool draining; /* answered and shut: waiting for its close */
};

struct api_server {
	struct api_ctl *ctl;
	int epfd, lfd, tfd;
	int dirfd; /* the socket's directory, to remove it by name */
	char name[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct api_client cl[API_SLOTS];
};

/* epoll data: which fd (index of a client, or these). */
#define TAG_LISTEN (-1)
#define TAG_TIMER (-2)

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int set_msg(char *msg, size_t len, int err, const char *what,
		   const char *path)
{
	snprintf(msg, len, "%s %s: %s", what, path, strerror(err));
	return -err;
}

/*
 * Something is at path: a socket nobody answers on is stale (left by a
 * killed cellvm) and removed; a live one or any other file is refused.
 */
static int clear_stale(const char *path, const struct sockaddr_un *sa,
		       char *msg, size_t len)
{
	struct stat st;
	int fd, ret;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : set_msg(msg, len, errno, "--api-sock", path);
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(msg, len, "--api-sock %s: exists and is not a socket", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return set_msg(msg, len, errno, "--api-sock", path);
	ret = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (ret == 0) {
		snprintf(msg, len, "--api-sock %s: another process is serving on it", path);
		return -EADDRINUSE;
	}
	if (unlink(path) < 0)
		return set_msg(msg, len, errno, "--api-sock: cannot remove the stale socket", path);
	return 0;
}

static int epoll_add(struct api_server *s, int fd, int tag)
{
	struct epoll_event ev = { .events = EPOLLIN };

	ev.data.u64 = (uint64_t)(int64_t)tag;
	return epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int server_listen(struct api_server *s, const char *path, char *msg,
			 size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *copy;
	mode_t old;
	int ret;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(msg, len, "--api-sock %.64s...: longer than %zu bytes",
			 path, sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	copy = strdup(path);
	if (!copy)
		return set_msg(msg, len, ENOMEM, "--api-sock", path);
	/* The directory, held open: the socket is removed by name even
	 * from inside --jail's new root. */
	s->dirfd = open(dirname(copy), O_PATH | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (s->dirfd < 0)
		return set_msg(msg, len, errno, "--api-sock: directory of", path);
	copy = strdup(path);
	if (!copy)
		return set_msg(msg, len, ENOMEM, "--api-sock", path);
	snprintf(s->name, sizeof(s->name), "%s", basename(copy));
	free(copy);
	ret = clear_stale(path, &sa, msg, len);
	if (ret)
		return ret;
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0)
		return set_msg(msg, len, errno, "--api-sock", path);
	/* Created 0600: only our user may drive the VM. */
	old = umask(0177);
	ret = bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (ret < 0) {
		ret = errno;
		s->name[0] = '\0'; /* not ours to remove */
		return set_msg(msg, len, ret, "--api-sock", path);
	}
	if (listen(s->lfd, API_MAX_CLIENTS) < 0)
		return set_msg(msg, len, errno, "--api-sock", path);
	return 0;
}

int api_server_create(const char *path, struct api_ctl *ctl,
		      struct api_server **out, char *msg, size_t len)
{
	struct itimerspec its = {
		.it_interval = { 0, API_TICK_MS * 1000000L },
		.it_value = { 0, API_TICK_MS * 1000000L },
	};
	struct api_server *s = calloc(1, sizeof(*s));
	unsigned i;
	int ret;

	if (!s)
		return set_msg(msg, len, ENOMEM, "--api-sock", path);
	s->ctl = ctl;
	s->lfd = s->tfd = s->dirfd = -1;
	for (i = 0; i < API_SLOTS; i++)
		s->cl[i].fd = -1;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0) {
		ret = set_msg(msg, len, errno, "--api-sock", path);
		goto fail;
	}
	ret = server_listen(s, path, msg, len);
	if (ret)
		goto fail;
	s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->tfd < 0 || timerfd_settime(s->tfd, 0, &its, NULL) < 0 ||
	    epoll_add(s, s->lfd, TAG_LISTEN) || epoll_add(s, s->tfd, TAG_TIMER)) {
		ret = set_msg(msg, len, errno, "--api-sock", path);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	api_server_destroy(s);
	return ret;
}

int api_server_fd(const struct api_server *s)
{
	return s->epfd;
}

unsigned api_server_fds(const struct api_server *s, int fds[4])
{
	fds[0] = s->epfd;
	fds[1] = s->lfd;
	fds[2] = s->tfd;
	fds[3] = s->dirfd;
	return 4;
}

static void client_close(struct api_server *s, struct api_client *c)
{
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	api_conn_destroy(c->conn);
	c->fd = -1;
	c->conn = NULL;
	c->draining = false;
}

/* Write what is queued; 1 when all of it went. */
static int client_flush(struct api_server *s, struct api_client *c)
{
	size_t n;
	const char *p = api_conn_output(c->conn, &n);
	ssize_t w;

	while (n > 0) {
		w = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		api_conn_consume(c->conn, (size_t)w);
		p = api_conn_output(c->conn, &n);
	}
	return 1;
}

/* Watch for input, and for room to write while output waits. */
static void client_watch(struct api_server *s, struct api_client *c, int tag,
			 bool closing)
{
	struct epoll_event ev = { .events = closing ? EPOLLOUT : EPOLLIN };
	size_t n;

	api_conn_output(c->conn, &n);
	if (n)
		ev.events |= EPOLLOUT;
	ev.data.u64 = (uint64_t)tag;
	epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Write what is queued; a connection ending once it is out is drained. */
static void client_output(struct api_server *s, struct api_client *c, int idx,
			  bool closing)
{
	int ret = client_flush(s, c);

	if (ret < 0) {
		client_close(s, c);
		return;
	}
	if (ret == 1 && closing) {
		shutdown(c->fd, SHUT_WR);
		c->draining = true;
		c->since_ms = now_ms();
		client_watch(s, c, idx, false);
		return;
	}
	client_watch(s, c, idx, closing);
}

static void client_io(struct api_server *s, int idx, uint32_t events)
{
	struct api_client *c = &s->cl[idx];
	char buf[API_READ_CHUNK];
	int closing = 0;
	ssize_t r;

	if (c->draining) {
		/* Drop what it sends; close when it does. */
		r = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
			client_close(s, c);
		return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		r = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			r = -1;
		else if (r < 0)
			r = 0; /* an error: as a hang-up */
		if (r >= 0) {
			bool was_mid = api_conn_mid_request(c->conn);

			closing = api_conn_feed(c->conn, buf, (size_t)r);
			if (r == 0) {
				client_close(s, c);
				return;
			}
			if (!was_mid || !api_conn_mid_request(c->conn))
				c->since_ms = now_ms();
		}
	}
	client_output(s, c, idx, closing);
}

/* A client over the cap: a 400 at once (best effort), no more output. */
static void refuse_client(int fd)
{
	char busy[256], body[96];
	int n = snprintf(body, sizeof(body),
			 "{\"fault_message\":\"too many API clients (at most %d at once)\"}",
			 API_MAX_CLIENTS);
	int m = snprintf(busy, sizeof(busy),
			 "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n"
			 "Content-Length: %d\r\nConnection: close\r\n\r\n%s",
			 n, body);

	if (send(fd, busy, (size_t)m, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* The client is gone or not reading: nothing more to do. */
	}
	shutdown(fd, SHUT_WR);
}

/* A free slot: below API_MAX_CLIENTS to serve, above it to refuse. */
static int free_slot(const struct api_server *s, unsigned from, unsigned to)
{
	unsigned i;

	for (i = from; i < to; i++)
		if (s->cl[i].fd < 0)
			return (int)i;
	return -1;
}

static void accept_clients(struct api_server *s)
{
	int fd, i;

	for (;;) {
		fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN, or out of fds: try at the next event */
		i = free_slot(s, 0, API_MAX_CLIENTS);
		if (i >= 0 && api_conn_create(s->ctl, &s->cl[i].conn))
			i = -1;
		if (i < 0) {
			s->ctl->errors++;
			refuse_client(fd);
			i = free_slot(s, API_MAX_CLIENTS, API_SLOTS);
			if (i < 0) {
				close(fd);
				continue;
			}
			s->cl[i].draining = true;
		}
		s->cl[i].fd = fd;
		s->cl[i].since_ms = now_ms();
		if (epoll_add(s, fd, i))
			client_close(s, &s->cl[i]);
	}
}

/* Close clients that take too long over a request, or idle too long. */
static void reap_slow(struct api_server *s)
{
	uint64_t t = now_ms(), cnt;
	unsigned i;

	if (read(s->tfd, &cnt, sizeof(cnt)) < 0)
		return;
	for (i = 0; i < API_SLOTS; i++) {
		struct api_client *c = &s->cl[i];
		bool mid;

		if (c->fd < 0)
			continue;
		if (c->draining) {
			if (t - c->since_ms > API_REFUSE_MS)
				client_close(s, c);
			continue;
		}
		mid = api_conn_mid_request(c->conn);
		if (mid && t - c->since_ms > API_REQUEST_TIMEOUT_MS) {
			api_conn_fail(c->conn, "request not complete within 5 s");
			client_output(s, c, (int)i, true);
			continue;
		}
		if (!mid && t - c->since_ms > API_IDLE_TIMEOUT_MS)
			client_close(s, c);
		else if (t - c->since_ms > API_REQUEST_TIMEOUT_MS + API_IDLE_TIMEOUT_MS)
			client_close(s, c); /* not reading its answer */
	}
}

void api_server_ready(void *server)
{
	struct api_server *s = server;
	struct epoll_event ev[API_SLOTS + 2];
	int n, i;

	n = epoll_wait(s->epfd, ev, API_SLOTS + 2, 0);
	for (i = 0; i < n; i++) {
		int tag = (int)(int64_t)ev[i].data.u64;

		if (tag == TAG_LISTEN)
			accept_clients(s);
		else if (tag == TAG_TIMER)
			reap_slow(s);
		else if (tag >= 0 && tag < API_SLOTS && s->cl[tag].fd >= 0)
			client_io(s, tag, ev[i].events);
	}
}

void api_server_destroy(struct api_server *s)
{
	unsigned i;

	if (!s)
		return;
	for (i = 0; i < API_SLOTS; i++)
		if (s->cl[i].fd >= 0)
			client_close(s, &s->cl[i]);
	if (s->lfd >= 0) {
		close(s->lfd);
		if (s->dirfd >= 0 && s->name[0] &&
		    unlinkat(s->dirfd, s->name, 0) < 0) {
			/* Gone already, or the directory changed: leave it. */
		}
	}
	if (s->dirfd >= 0)
		close(s->dirfd);
	if (s->tfd >= 0)
		close(s->tfd);
	if (s->epfd >= 0)
		close(s->epfd);
	free(s);
}
