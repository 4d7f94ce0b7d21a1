/* SPDX-License-Identifier: MIT */
/*
 * The control plane (docs/api.md): a Firecracker-compatible HTTP/1.1 API
 * on a Unix socket. Three parts, each testable alone:
 *
 *   ctl    (router.c, vmcfg.c)  the machine's configuration in
 *          Firecracker's shape and the request handlers: method + path +
 *          JSON body in, status + JSON body out. Also --config-file.
 *   conn   (http.c)   one client: bytes in (http-parser), requests to the
 *          router, bytes out; limits on request line, headers and body.
 *   server (server.c) the socket, the clients and their timeouts, behind
 *          one epoll fd the VM's event loop watches (control_fd).
 *
 * This layer uses only the public API (include/cellvm): it drives a VM as
 * any other program could.
 */
#ifndef CELLVM_API_API_H
#define CELLVM_API_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cellvm/cellvm.h"

/* Limits (docs/api.md, "Limits"). */
#define API_MAX_URL 1024 /* request target, bytes */
#define API_MAX_HEADERS 8192 /* request line and headers together, bytes */
#define API_MAX_BODY 65536 /* request body, bytes */
#define API_MAX_CLIENTS 8 /* connections served at once */
#define API_REQUEST_TIMEOUT_MS 5000 /* first byte to last of a request */
#define API_IDLE_TIMEOUT_MS 60000 /* an idle keep-alive connection */
#define API_MAX_DRIVES 8
#define API_MAX_NETS 4
#define API_MAX_ID 64 /* drive_id, iface_id */

struct api_drive {
	char id[API_MAX_ID + 1];
	char *path;
	bool readonly;
	bool root;
};

struct api_net {
	char id[API_MAX_ID + 1];
	char *tap;
	uint8_t mac[6];
	bool has_mac;
};

/* The machine as the API sees it; strings are owned (free with
 * api_vmcfg_clear). */
struct api_vmcfg {
	char *kernel, *initrd, *boot_args;
	unsigned vcpus; /* 0: not set (cellvm's default) */
	unsigned mem_mib; /* 0: not set */
	struct api_drive drive[API_MAX_DRIVES];
	unsigned nr_drives;
	struct api_net net[API_MAX_NETS];
	unsigned nr_nets;
	bool entropy;
	char *vsock_uds; /* PUT /vsock: NULL, or the host side's socket */
	uint64_t vsock_cid;
	char *log_path;
	int log_level; /* enum cellvm_log_level, -1: not set */
	char *metrics_path;
};

enum api_state {
	API_NOT_STARTED,
	API_RUNNING, /* the VM runs or is paused (cellvm_vm_paused) */
};

/* What a handler answers. body: a JSON text (owned) or NULL. */
struct api_response {
	int status; /* 200, 204 or 400 */
	char *body;
};

struct api_ctl {
	struct api_vmcfg cfg;
	enum api_state state;
	struct cellvm_vm *vm; /* the running VM, NULL between reboots */
	const char *version; /* cellvm's version, for GET / and /version */
	const char *id; /* the instance id of GET / */
	/*
	 * InstanceStart: create the VM from cfg (the command's part). 0,
	 * or -errno with a message in msg. Runs on the serving thread; on
	 * success the caller sets state and vm.
	 */
	int (*start)(void *ctx, struct api_ctl *ctl, char *msg, size_t len);
	void *start_ctx;
	/*
	 * Optional: a disk got a new backing file (PATCH /drives); the
	 * command makes the next VM (after a guest reboot) use it too.
	 * path stays valid until the next change of that drive. 0 or -errno
	 * with msg.
	 */
	int (*disk_changed)(void *ctx, unsigned index, const char *path,
			    char *msg, size_t len);
	void *disk_ctx;
	int metrics_fd; /* PUT /metrics' file, -1: none */
	uint64_t requests, errors; /* served, and answered 400 */
	/* Warnings about accepted-but-ignored fields go here (may be NULL). */
	const struct cellvm_log *log;
};

/* ---- ctl: configuration and handlers (router.c, vmcfg.c) ---- */

void api_ctl_init(struct api_ctl *ctl);
void api_ctl_destroy(struct api_ctl *ctl);
void api_vmcfg_clear(struct api_vmcfg *c);

/*
 * Handle one request: method ("GET", "PUT", "PATCH"), path (the request
 * target, query included), body (len bytes, need not be NUL-terminated).
 * Always fills *resp (a 400 with a fault_message on any error). 0, or
 * -ENOMEM when no answer could be built (the connection is then closed).
 */
int api_handle(struct api_ctl *ctl, const char *method, const char *path,
	       const char *body, size_t len, struct api_response *resp);

/*
 * --config-file: the text of a file shaped like GET /vm/config's answer,
 * applied as the PUTs it stands for. 0, or -EINVAL with msg naming the
 * JSON path of the bad field ("machine-config.vcpu_count: ...").
 */
int api_config_load(struct api_ctl *ctl, const char *text, size_t len,
		    char *msg, size_t msg_len);

/* GET /vm/config's JSON text (malloc'd), NULL when out of memory. */
char *api_vmcfg_dump(const struct api_vmcfg *c);

/*
 * The configuration as the library's: fills cfg's images, sizes,
 * command line and devices (an array of *nr_devs, malloc'd into *devs,
 * the caller frees; strings stay owned by c). -errno with msg.
 */
int api_vmcfg_to_config(const struct api_vmcfg *c, struct cellvm_config *cfg,
			struct cellvm_dev_cfg **devs, unsigned *nr_devs,
			char **cmdline, char *msg, size_t msg_len);

/* The reverse, for GET /vm/config of a VM booted from the command line. */
int api_vmcfg_from_config(struct api_vmcfg *c, const struct cellvm_config *cfg);

/* The metrics object (GET /metrics, FlushMetrics), malloc'd JSON text. */
char *api_metrics_dump(const struct api_ctl *ctl);

/* ---- conn: one HTTP client (http.c) ---- */

struct api_conn;

/* -ENOMEM or 0. */
int api_conn_create(struct api_ctl *ctl, struct api_conn **out);
void api_conn_destroy(struct api_conn *c);
/*
 * Feed bytes read from the client. Answers are queued (api_conn_output).
 * Returns 0 to go on, 1 when the connection is to be closed once the
 * queued output is written (an error answered, or Connection: close).
 */
int api_conn_feed(struct api_conn *c, const char *buf, size_t len);
/* Queued output: *len bytes at the return value; api_conn_consume(n)
 * drops n of them once written. */
const char *api_conn_output(const struct api_conn *c, size_t *len);
void api_conn_consume(struct api_conn *c, size_t n);
/* Whether a request has begun but not ended (the slow-client timer). */
bool api_conn_mid_request(const struct api_conn *c);
/* Queue a 400 with msg and mark the connection for closing. */
void api_conn_fail(struct api_conn *c, const char *msg);

/* ---- server: the socket and its clients (server.c) ---- */

struct api_server;

/*
 * Create the listening socket at path (mode 0600). A socket there that
 * nobody listens on (a stale one) is replaced; anything else there is
 * refused. -errno with msg.
 */
int api_server_create(const char *path, struct api_ctl *ctl,
		      struct api_server **out, char *msg, size_t msg_len);
/* The fd to watch for readability (cellvm_config.control_fd). */
int api_server_fd(const struct api_server *s);
/* The fds the server holds (for --jail's keep list): up to 4 into fds,
 * the count returned. Clients are accepted after jailing. */
unsigned api_server_fds(const struct api_server *s, int fds[4]);
/* Serve whatever is ready, without blocking (control_ready). */
void api_server_ready(void *server);
/* Close every client and the socket, and remove the socket file. */
void api_server_destroy(struct api_server *s);

#endif
