// SPDX-License-Identifier: MIT
/*
 * The control plane (src/api): the router and handlers (every endpoint and
 * the bad inputs of issue 10, each an asserted status and fault_message),
 * --config-file and the GET /vm/config round trip, the HTTP connection
 * (limits, pipelining, malformed requests, byte-at-a-time clients), the
 * Unix socket server (mode, stale sockets, refusals, the client cap, the
 * slow-client timeout), and the runtime calls on a VM of the scripted
 * backend (pause, resume, metrics).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "api/api.h"
#include "cellvm/cellvm.h"
#include "hv/test.h"
#include "arch/arm64/memmap.h"
#include "core/vm.h"

/* ---- router ---- */

static int fake_starts;

static int fake_start(void *ctx, struct api_ctl *ctl, char *msg, size_t len)
{
	fake_starts++;
	if (ctx) {
		snprintf(msg, len, "InstanceStart: %s", (const char *)ctx);
		return -EINVAL;
	}
	return 0;
}

struct req {
	const char *method, *path, *body;
	int status;
	const char *want; /* substring of the answer's body, or NULL */
};

static void check_req(struct api_ctl *ctl, const struct req *r)
{
	struct api_response resp = { 0, NULL };

	assert_int_equal(api_handle(ctl, r->method, r->path, r->body,
				    r->body ? strlen(r->body) : 0, &resp), 0);
	if (resp.status != r->status)
		fail_msg("%s %s %s: status %d, expected %d (%s)", r->method,
			 r->path, r->body ? r->body : "", resp.status, r->status,
			 resp.body ? resp.body : "");
	if (r->status == 204)
		assert_null(resp.body);
	if (r->status == 400)
		assert_non_null(strstr(resp.body, "{\"fault_message\":"));
	if (r->want && (!resp.body || !strstr(resp.body, r->want)))
		fail_msg("%s %s %s: answer %s lacks '%s'", r->method, r->path,
			 r->body ? r->body : "", resp.body ? resp.body : "(none)",
			 r->want);
	free(resp.body);
}

#define MC "{\"vcpu_count\": 2, \"mem_size_mib\": 128"
#define ROOTFS "{\"drive_id\": \"rootfs\", \"path_on_host\": \"/d\", " \
	       "\"is_root_device\": true, \"is_read_only\": false"

static const struct req preboot[] = {
	{ "GET", "/", NULL, 200, "\"state\":\"Not started\"" },
	{ "GET", "/", NULL, 200, "\"app_name\":\"cellvm\"" },
	{ "GET", "/version", NULL, 200, "\"firecracker_version\":\"9.9\"" },
	{ "GET", "/machine-config", NULL, 200, "\"vcpu_count\":1" },
	{ "PUT", "/machine-config", MC "}", 204, NULL },
	{ "GET", "/machine-config", NULL, 200, "\"vcpu_count\":2,\"mem_size_mib\":128" },
	{ "PUT", "/machine-config", "{\"vcpu_count\": \"2\", \"mem_size_mib\": 128}", 400,
	  "machine-config.vcpu_count: expected a non-negative integer" },
	{ "PUT", "/machine-config", "{\"vcpu_count\": 2}", 400,
	  "machine-config.mem_size_mib: missing (required)" },
	{ "PUT", "/machine-config", MC ", \"foo\": 1}", 400,
	  "machine-config: unknown field 'foo'" },
	{ "PUT", "/machine-config", MC ", \"smt\": true}", 400, "machine-config.smt" },
	{ "PUT", "/machine-config", "{\"vcpu_count\": 0, \"mem_size_mib\": 1}", 400,
	  "vcpu_count: 0: must be 1 to 512" },
	{ "PUT", "/machine-config", "not json", 400, "body is not JSON" },
	{ "PUT", "/machine-config", "[1]", 400, "machine-config: expected a JSON object" },
	{ "PUT", "/machine-config", "{\"a\":1,\"a\":2}", 400, "body is not JSON" },
	{ "PUT", "/machine-config", NULL, 400, "a JSON body is required" },
	{ "GET", "/machine-config", "{}", 400, "takes no body" },
	{ "PUT", "/boot-source", "{}", 400, "boot-source.kernel_image_path: missing (required)" },
	{ "PUT", "/boot-source", "{\"kernel_image_path\": 7}", 400,
	  "boot-source.kernel_image_path: expected a string" },
	{ "PUT", "/actions", "{\"action_type\": \"InstanceStart\"}", 400,
	  "InstanceStart: no boot source" },
	{ "PUT", "/boot-source", "{\"kernel_image_path\": \"/k\", \"boot_args\": \"console=ttyAMA0\"}",
	  204, NULL },
	{ "PUT", "/drives/rootfs", ROOTFS "}", 204, NULL },
	{ "PUT", "/drives/other", ROOTFS "}", 400,
	  "drives.drive_id: 'rootfs' differs from the path's 'other'" },
	{ "PUT", "/drives/data", "{\"drive_id\": \"data\", \"path_on_host\": \"/e\", "
	  "\"is_root_device\": true}", 400, "drive 'rootfs' is the root device already" },
	{ "PUT", "/drives/data", "{\"drive_id\": \"data\", \"path_on_host\": \"/e\", "
	  "\"is_root_device\": false, \"is_read_only\": true}", 204, NULL },
	{ "PUT", "/drives/b-d", "{\"drive_id\": \"b-d\", \"path_on_host\": \"/e\", "
	  "\"is_root_device\": false}", 400, "only letters, digits and _" },
	{ "PUT", "/drives/x", "{\"drive_id\": \"x\", \"path_on_host\": \"/e\", "
	  "\"is_root_device\": false, \"rate_limiter\": {}}", 400,
	  "drives.rate_limiter: not supported by cellvm" },
	{ "PUT", "/drives/", ROOTFS "}", 400, "no such path" },
	{ "PUT", "/drives/a/b", ROOTFS "}", 400, "no such path" },
	{ "PUT", "/network-interfaces/eth0", "{\"iface_id\": \"eth0\", \"host_dev_name\": "
	  "\"tap0\", \"guest_mac\": \"06:00:00:00:00:01\"}", 204, NULL },
	{ "PUT", "/network-interfaces/eth1", "{\"iface_id\": \"eth1\", \"host_dev_name\": "
	  "\"tap1\", \"guest_mac\": \"06:00:00:00:00\"}", 400,
	  "network-interfaces.guest_mac: '06:00:00:00:00': expected XX:XX:XX:XX:XX:XX" },
	{ "PUT", "/network-interfaces/eth1", "{\"iface_id\": \"eth1\"}", 400,
	  "network-interfaces.host_dev_name: missing (required)" },
	{ "PUT", "/entropy", "{}", 204, NULL },
	{ "PUT", "/vsock", "{\"guest_cid\": 2, \"uds_path\": \"/v\"}", 400,
	  "vsock.guest_cid: 2: must be 3 to 4294967294" },
	{ "PUT", "/vsock", "{\"guest_cid\": 4294967295, \"uds_path\": \"/v\"}", 400,
	  "vsock.guest_cid: 4294967295: must be 3 to 4294967294" },
	{ "PUT", "/vsock", "{\"guest_cid\": 3}", 400, "vsock.uds_path: missing (required)" },
	{ "PUT", "/vsock", "{\"guest_cid\": 3, \"uds_path\": \"\"}", 400, "vsock.uds_path: empty" },
	{ "PUT", "/vsock", "{\"guest_cid\": 3, \"uds_path\": \"/v\", \"port\": 1}", 400,
	  "vsock: unknown field 'port'" },
	{ "PUT", "/vsock", "{\"vsock_id\": \"v\", \"guest_cid\": 3, \"uds_path\": \"/v\"}", 204, NULL },
	{ "PUT", "/logger", "{\"level\": \"Loud\"}", 400, "logger.level: 'Loud'" },
	{ "PUT", "/logger", "{\"level\": \"Info\", \"show_level\": true}", 204, NULL },
	{ "PATCH", "/vm", "{\"state\": \"Paused\"}", 400,
	  "PATCH /vm: not allowed before the microVM started" },
	{ "PATCH", "/drives/rootfs", "{\"drive_id\": \"rootfs\"}", 400, "not allowed before" },
	{ "GET", "/nope", NULL, 400, "GET /nope: no such path" },
	{ "DELETE", "/", NULL, 400, "DELETE /: method not allowed" },
	{ "PUT", "/actions", "{\"action_type\": \"Reboot\"}", 400,
	  "actions.action_type: 'Reboot': expected InstanceStart, FlushMetrics or SendCtrlAltDel" },
	{ "PUT", "/actions", "{\"action_type\": 1}", 400, "actions.action_type: expected a string" },
	{ "PUT", "/actions", "{\"type\": \"InstanceStart\"}", 400, "actions: unknown field 'type'" },
	{ "PUT", "/actions", "{}", 400, "actions.action_type: missing (required)" },
	{ "PUT", "/actions", "{\"action_type\": \"FlushMetrics\"}", 400,
	  "FlushMetrics: no metrics file" },
	{ "PUT", "/actions", "{\"action_type\": \"SendCtrlAltDel\"}", 400,
	  "SendCtrlAltDel: the microVM is not running" },
	{ "GET", "/vm/config", NULL, 200, "\"drive_id\":\"rootfs\"" },
	{ "GET", "/vm/config", NULL, 200, "\"guest_mac\":\"06:00:00:00:00:01\"" },
	{ "GET", "/vm/config?x=1", NULL, 200, "\"entropy\":{}" },
	{ "GET", "/vm/config", NULL, 200, "\"vsock\":{\"guest_cid\":3,\"uds_path\":\"/v\"}" },
};

static const struct req started[] = {
	{ "PUT", "/actions", "{\"action_type\": \"InstanceStart\"}", 204, NULL },
	{ "GET", "/", NULL, 200, "\"state\":\"Running\"" },
	{ "PUT", "/actions", "{\"action_type\": \"InstanceStart\"}", 400,
	  "InstanceStart: the microVM is already running" },
	{ "PUT", "/machine-config", MC "}", 400,
	  "PUT /machine-config: not allowed after the microVM started" },
	{ "PUT", "/boot-source", "{\"kernel_image_path\": \"/k\"}", 400, "not allowed after" },
	{ "PUT", "/drives/rootfs", ROOTFS "}", 400, "not allowed after" },
	{ "PUT", "/network-interfaces/eth0", "{}", 400, "not allowed after" },
	{ "PUT", "/metrics", "{\"metrics_path\": \"/m\"}", 400, "not allowed after" },
	{ "GET", "/machine-config", NULL, 200, "\"vcpu_count\":2" },
	/* No VM object (between reboots): runtime calls say so. */
	{ "PATCH", "/vm", "{\"state\": \"Paused\"}", 400, "vm.state: the microVM is not running" },
	{ "PATCH", "/drives/nope", "{\"drive_id\": \"nope\"}", 400, "drives.drive_id: no drive 'nope'" },
	{ "PATCH", "/drives/data", "{\"drive_id\": \"data\", \"path_on_host\": \"/f\"}", 400,
	  "drives: the microVM is not running" },
	{ "PATCH", "/drives/data", "{\"drive_id\": \"data\"}", 204, NULL },
};

static void ctl_setup(struct api_ctl *ctl)
{
	api_ctl_init(ctl);
	ctl->version = "9.9";
	ctl->start = fake_start;
}

static void test_router(void **state)
{
	struct api_ctl ctl;
	size_t i;

	ctl_setup(&ctl);
	for (i = 0; i < sizeof(preboot) / sizeof(preboot[0]); i++)
		check_req(&ctl, &preboot[i]);
	assert_int_equal(fake_starts, 0);
	for (i = 0; i < sizeof(started) / sizeof(started[0]); i++)
		check_req(&ctl, &started[i]);
	assert_int_equal(fake_starts, 1);
	assert_int_equal(ctl.requests,
			 sizeof(preboot) / sizeof(preboot[0]) +
			 sizeof(started) / sizeof(started[0]));
	api_ctl_destroy(&ctl);
}

/* A failed start answers the start's message and leaves the state. */
static void test_start_fails(void **state)
{
	static const struct req r[] = {
		{ "PUT", "/boot-source", "{\"kernel_image_path\": \"/k\"}", 204, NULL },
		{ "PUT", "/actions", "{\"action_type\": \"InstanceStart\"}", 400,
		  "InstanceStart: no such kernel" },
		{ "GET", "/", NULL, 200, "Not started" },
		{ "PUT", "/machine-config", MC "}", 204, NULL },
	};
	struct api_ctl ctl;
	size_t i;

	ctl_setup(&ctl);
	ctl.start_ctx = "no such kernel";
	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		check_req(&ctl, &r[i]);
	assert_int_equal(ctl.errors, 1);
	api_ctl_destroy(&ctl);
}

/* ---- --config-file and GET /vm/config ---- */

static const char full_cfg[] =
	"{\"boot-source\": {\"kernel_image_path\": \"/k\", \"initrd_path\": \"/i\", "
	"\"boot_args\": \"console=ttyAMA0\"},"
	" \"machine-config\": {\"vcpu_count\": 2, \"mem_size_mib\": 96},"
	" \"drives\": [{\"drive_id\": \"data\", \"path_on_host\": \"/e\", \"is_root_device\": false,"
	" \"is_read_only\": true}, {\"drive_id\": \"root\", \"path_on_host\": \"/r\","
	" \"is_root_device\": true}],"
	" \"network-interfaces\": [{\"iface_id\": \"n0\", \"host_dev_name\": \"tap3\"}],"
	" \"entropy\": {}, \"vsock\": {\"guest_cid\": 7, \"uds_path\": \"/v.sock\"}}";

static void test_config_roundtrip(void **state)
{
	struct api_ctl a, b;
	char msg[256], *t1, *t2, *cmdline = NULL;
	struct cellvm_config cfg;
	struct cellvm_dev_cfg *devs = NULL;
	unsigned n = 0;

	api_ctl_init(&a);
	api_ctl_init(&b);
	assert_int_equal(api_config_load(&a, full_cfg, strlen(full_cfg), msg, sizeof(msg)), 0);
	t1 = api_vmcfg_dump(&a.cfg);
	assert_non_null(t1);
	assert_int_equal(api_config_load(&b, t1, strlen(t1), msg, sizeof(msg)), 0);
	t2 = api_vmcfg_dump(&b.cfg);
	assert_string_equal(t1, t2);

	/* Into the library's configuration: the root drive is vda. */
	cellvm_config_init(&cfg);
	assert_int_equal(api_vmcfg_to_config(&b.cfg, &cfg, &devs, &n, &cmdline, msg,
					     sizeof(msg)), 0);
	assert_string_equal(cfg.kernel.path, "/k");
	assert_string_equal(cfg.initrd.path, "/i");
	assert_string_equal(cfg.cmdline, "console=ttyAMA0 root=/dev/vda rw");
	assert_int_equal(cfg.ncpus, 2);
	assert_int_equal(cfg.mem_size, 96ULL << 20);
	assert_int_equal(n, 5);
	assert_int_equal(devs[0].type, CELLVM_DEV_VIRTIO_BLK);
	assert_string_equal(devs[0].blk.path, "/r");
	assert_false(devs[0].blk.readonly);
	assert_string_equal(devs[1].blk.path, "/e");
	assert_true(devs[1].blk.readonly);
	assert_int_equal(devs[2].type, CELLVM_DEV_VIRTIO_NET);
	assert_string_equal(devs[2].net.tap, "tap3");
	assert_false(devs[2].net.has_mac);
	assert_int_equal(devs[3].type, CELLVM_DEV_VIRTIO_RNG);
	assert_int_equal(devs[4].type, CELLVM_DEV_VIRTIO_VSOCK);
	assert_int_equal(devs[4].vsock.guest_cid, 7);
	assert_string_equal(devs[4].vsock.uds_path, "/v.sock");
	assert_false(devs[4].vsock.has_fd);
	free(devs);
	free(cmdline);
	free(t1);
	free(t2);
	api_ctl_destroy(&a);
	api_ctl_destroy(&b);
}

static void test_config_errors(void **state)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "", "not JSON: line 1" },
		{ "{\"boot-source\": ", "not JSON" },
		{ "[]", "expected a JSON object" },
		{ "{}", "boot-source: missing (required)" },
		{ "{\"machine-config\": {\"vcpu_count\": 2, \"mem_size_mib\": 1}}",
		  "boot-source: missing (required)" },
		{ "{\"boot-source\": {\"kernel_image_path\": \"/k\"}, \"machine-config\": "
		  "{\"vcpu_count\": -1, \"mem_size_mib\": 1}}",
		  "machine-config.vcpu_count: expected a non-negative integer" },
		{ "{\"boot-source\": {\"kernel_image_path\": \"/k\"}, \"drives\": [{\"drive_id\": "
		  "\"a\", \"path_on_host\": \"/a\", \"is_root_device\": false}, {\"drive_id\": \"b\", "
		  "\"is_root_device\": false}]}", "drives[1].path_on_host: missing (required)" },
		{ "{\"boot-source\": {\"kernel_image_path\": \"/k\"}, \"drives\": {}}",
		  "drives: expected a JSON array" },
		{ "{\"boot-source\": {\"kernel_image_path\": \"/k\"}, \"vsock\": {}}",
		  "vsock.guest_cid: missing (required)" },
		{ "{\"boot-source\": {\"kernel_image_path\": \"/k\"}, \"balloon\": {}}",
		  "balloon: unknown or unsupported section" },
		{ "{\"boot-source\": {\"kernel_image_path\": \"/k\", \"extra\": 1}}",
		  "boot-source: unknown field 'extra'" },
		{ "{\"boot-source\": {\"kernel_image_path\": \"/k\"}, \"metrics\": "
		  "{\"metrics_path\": \"/nonexistent/dir/m\"}}",
		  "metrics.metrics_path: /nonexistent/dir/m: No such file or directory" },
	};
	char msg[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct api_ctl c;

		api_ctl_init(&c);
		msg[0] = '\0';
		assert_int_equal(api_config_load(&c, bad[i].text, strlen(bad[i].text), msg,
						 sizeof(msg)), -EINVAL);
		if (!strstr(msg, bad[i].want))
			fail_msg("%s: '%s' lacks '%s'", bad[i].text, msg, bad[i].want);
		api_ctl_destroy(&c);
	}
}

/* ---- one HTTP connection ---- */

struct conn_fx {
	struct api_ctl ctl;
	struct api_conn *c;
};

static void conn_open(struct conn_fx *f)
{
	ctl_setup(&f->ctl);
	assert_int_equal(api_conn_create(&f->ctl, &f->c), 0);
}

static char *conn_take(struct conn_fx *f)
{
	size_t n;
	const char *p = api_conn_output(f->c, &n);
	char *s = strndup(p ? p : "", n);

	api_conn_consume(f->c, n);
	return s;
}

static void conn_close(struct conn_fx *f)
{
	api_conn_destroy(f->c);
	api_ctl_destroy(&f->ctl);
}

static void test_http_requests(void **state)
{
	static const char two[] =
		"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
		"PUT /machine-config HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
		"Content-Length: 42\r\n\r\n{\"vcpu_count\": 3, \"mem_size_mib\": 64}     ";
	static const char closing[] =
		"GET /version HTTP/1.1\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\n\r\n";
	struct conn_fx f;
	char *out;
	size_t i;

	/* Two pipelined requests: two answers in order. */
	conn_open(&f);
	assert_int_equal(api_conn_feed(f.c, two, sizeof(two) - 1), 0);
	out = conn_take(&f);
	assert_non_null(strstr(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"));
	assert_non_null(strstr(out, "\"state\":\"Not started\""));
	assert_non_null(strstr(out, "HTTP/1.1 204 No Content\r\n\r\n"));
	assert_true(strstr(out, "200 OK") < strstr(out, "204 No Content"));
	assert_int_equal(f.ctl.cfg.vcpus, 3);
	free(out);
	conn_close(&f);

	/* One byte at a time: the same answer. */
	conn_open(&f);
	for (i = 0; i < sizeof(two) - 1; i++) {
		assert_int_equal(api_conn_feed(f.c, two + i, 1), 0);
		if (i == 5)
			assert_true(api_conn_mid_request(f.c));
	}
	assert_false(api_conn_mid_request(f.c));
	out = conn_take(&f);
	assert_non_null(strstr(out, "204 No Content"));
	free(out);
	conn_close(&f);

	/* Connection: close answers with it, and reads nothing after. */
	conn_open(&f);
	assert_int_equal(api_conn_feed(f.c, closing, sizeof(closing) - 1), 1);
	out = conn_take(&f);
	assert_non_null(strstr(out, "Connection: close\r\n"));
	assert_non_null(strstr(out, "firecracker_version"));
	assert_null(strstr(out, "Not started"));
	free(out);
	conn_close(&f);
}

static void test_http_bad(void **state)
{
	char *big = malloc(API_MAX_BODY + 200);
	struct {
		const char *in;
		const char *want;
	} bad[] = {
		{ "GARBAGE\r\n\r\n", "malformed HTTP request" },
		{ "GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n", "malformed HTTP request" },
		{ "GET / HTTP/9.1\r\n\r\n", "only HTTP/1.0 and HTTP/1.1 are served" },
		{ "PUT /entropy HTTP/1.1\r\nContent-Length: 999999\r\n\r\n",
		  "request body over the limit of 65536 bytes" },
		{ "GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
		  "protocol upgrades are not supported" },
		{ NULL, "request target over the limit of 1024 bytes" },
		{ NULL, "request headers over the limit of 8192 bytes" },
		{ NULL, "request body over the limit of 65536 bytes" },
	};
	struct conn_fx f;
	size_t i;
	int n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *in = bad[i].in;
		char *out;

		if (i == 5) {
			n = sprintf(big, "GET /");
			memset(big + n, 'a', 1100);
			strcpy(big + n + 1100, " HTTP/1.1\r\n\r\n");
			in = big;
		} else if (i == 6) {
			n = sprintf(big, "GET / HTTP/1.1\r\nX-A: ");
			memset(big + n, 'a', 9000);
			strcpy(big + n + 9000, "\r\n\r\n");
			in = big;
		} else if (i == 7) {
			/* Chunked: no length up front, refused as it comes. */
			n = sprintf(big, "PUT /entropy HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
					 "10010\r\n");
			memset(big + n, ' ', API_MAX_BODY + 16);
			big[n + API_MAX_BODY + 16] = '\0';
			in = big;
		}
		conn_open(&f);
		if (api_conn_feed(f.c, in, strlen(in)) != 1)
			fail_msg("case %zu: not refused", i);
		out = conn_take(&f);
		if (!strstr(out, "HTTP/1.1 400 Bad Request") || !strstr(out, bad[i].want) ||
		    !strstr(out, "Connection: close"))
			fail_msg("case %zu: answer '%.300s' lacks '%s'", i, out, bad[i].want);
		/* Nothing more is read once an error was answered. */
		assert_int_equal(api_conn_feed(f.c, "GET / HTTP/1.1\r\n\r\n", 18), 1);
		free(out);
		out = conn_take(&f);
		assert_string_equal(out, "");
		free(out);
		assert_int_equal(f.ctl.errors, 1);
		conn_close(&f);
	}
	/* The client hangs up mid-request: closed, nothing answered. */
	conn_open(&f);
	assert_int_equal(api_conn_feed(f.c, "PUT /entropy HTTP/1.1\r\nContent-Len", 34), 0);
	assert_true(api_conn_mid_request(f.c));
	assert_int_equal(api_conn_feed(f.c, "", 0), 1);
	free(conn_take(&f));
	conn_close(&f);
	free(big);
}

/* ---- the socket server ---- */

struct srv_fx {
	char dir[64], path[128];
	struct api_ctl ctl;
	struct api_server *s;
};

static void srv_dir(struct srv_fx *f)
{
	strcpy(f->dir, "/tmp/cellvm-api-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/api.sock", f->dir);
	ctl_setup(&f->ctl);
}

static int srv_create(struct srv_fx *f, char *msg)
{
	return api_server_create(f->path, &f->ctl, &f->s, msg, 256);
}

static int client_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Serve until the client has an answer (or 2 s pass); the answer. */
static char *client_answer(struct srv_fx *f, int fd, unsigned max_ms)
{
	char buf[4096];
	size_t n = 0;
	unsigned i;

	for (i = 0; i < max_ms; i++) {
		struct timespec ts = { 0, 1000000 };
		ssize_t r;

		api_server_ready(f->s);
		r = recv(fd, buf + n, sizeof(buf) - 1 - n, MSG_DONTWAIT);
		if (r > 0)
			n += (size_t)r;
		if (r == 0 || (n && strstr(buf, "\r\n\r\n")))
			break;
		nanosleep(&ts, NULL);
	}
	buf[n] = '\0';
	return strdup(buf);
}

static void test_server_socket(void **state)
{
	struct srv_fx f;
	char msg[256], *ans;
	struct stat st;
	int fd, fds[API_MAX_CLIENTS + 1];
	unsigned i;

	srv_dir(&f);
	assert_int_equal(srv_create(&f, msg), 0);
	assert_int_equal(lstat(f.path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);

	/* A second server on a live socket is refused. */
	{
		struct api_server *s2 = NULL;

		assert_int_equal(api_server_create(f.path, &f.ctl, &s2, msg, sizeof(msg)),
				 -EADDRINUSE);
		assert_non_null(strstr(msg, "another process is serving on it"));
	}

	/* A request, answered through the server's own epoll set. */
	fd = client_connect(f.path);
	assert_int_equal(send(fd, "GET / HTTP/1.1\r\n\r\n", 18, 0), 18);
	ans = client_answer(&f, fd, 2000);
	assert_non_null(strstr(ans, "HTTP/1.1 200 OK"));
	assert_non_null(strstr(ans, "Not started"));
	free(ans);

	/* Up to API_MAX_CLIENTS at once; one more is refused with a 400. */
	for (i = 1; i < API_MAX_CLIENTS; i++) {
		fds[i] = client_connect(f.path);
		api_server_ready(f.s);
	}
	fds[0] = client_connect(f.path);
	ans = client_answer(&f, fds[0], 2000);
	assert_non_null(strstr(ans, "HTTP/1.1 400 Bad Request"));
	assert_non_null(strstr(ans, "too many API clients (at most 8 at once)"));
	free(ans);
	close(fds[0]);
	for (i = 1; i < API_MAX_CLIENTS; i++)
		close(fds[i]);
	/* The clients that left free their slots. */
	for (i = 0; i < 20; i++)
		api_server_ready(f.s);
	assert_int_equal(send(fd, "GET /version HTTP/1.1\r\n\r\n", 25, 0), 25);
	ans = client_answer(&f, fd, 2000);
	assert_non_null(strstr(ans, "firecracker_version"));
	free(ans);
	close(fd);

	/* A body over the limit, still being sent when the 400 comes (more
	 * than the socket buffers hold): the connection is drained, not
	 * closed, so the client's sends succeed and it reads the answer. */
	{
		static const char head[] = "PUT /entropy HTTP/1.1\r\nContent-Length: 1048576\r\n\r\n";
		const size_t total = 1048576;
		char *body = calloc(1, total);
		size_t off = 0;

		memset(body, ' ', total);
		fd = client_connect(f.path);
		assert_int_equal(send(fd, head, sizeof(head) - 1, 0), (ssize_t)sizeof(head) - 1);
		for (i = 0; i < 100000 && off < total; i++) {
			ssize_t w = send(fd, body + off, total - off, MSG_DONTWAIT | MSG_NOSIGNAL);

			if (w > 0)
				off += (size_t)w;
			else if (errno != EAGAIN)
				fail_msg("send after %zu bytes: %s", off, strerror(errno));
			api_server_ready(f.s);
		}
		assert_int_equal(off, total);
		ans = client_answer(&f, fd, 2000);
		assert_non_null(strstr(ans, "request body over the limit of 65536 bytes"));
		free(ans);
		close(fd);
		free(body);
	}

	api_server_destroy(f.s);
	assert_int_equal(lstat(f.path, &st), -1); /* removed at exit */
	assert_int_equal(errno, ENOENT);

	/* A stale socket (nobody listening) is replaced. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		strcpy(sa.sun_path, f.path);
		assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	}
	close(fd);
	assert_int_equal(srv_create(&f, msg), 0);
	api_server_destroy(f.s);
	rmdir(f.dir);
	api_ctl_destroy(&f.ctl);
}

static void test_server_refusals(void **state)
{
	struct srv_fx f;
	char msg[256], longp[200];
	int fd;

	srv_dir(&f);
	/* A regular file is never replaced. */
	fd = open(f.path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	assert_int_equal(srv_create(&f, msg), -EEXIST);
	assert_non_null(strstr(msg, "exists and is not a socket"));
	unlink(f.path);
	/* A missing directory. */
	snprintf(f.path, sizeof(f.path), "%s/no/api.sock", f.dir);
	assert_true(srv_create(&f, msg) < 0);
	assert_non_null(strstr(msg, "No such file or directory"));
	/* A path longer than sun_path. */
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	assert_int_equal(api_server_create(longp, &f.ctl, &f.s, msg, sizeof(msg)),
			 -ENAMETOOLONG);
	assert_non_null(strstr(msg, "longer than 107 bytes"));
	rmdir(f.dir);
	api_ctl_destroy(&f.ctl);
}

/* A client that sends one byte a second is answered 400 and closed
 * after API_REQUEST_TIMEOUT_MS; the server never waited for it. */
static void test_server_slow_client(void **state)
{
	static const char req[] = "GET / HTTP/1.1\r\n\r\n";
	struct srv_fx f;
	char msg[256], *ans = NULL;
	struct timespec t0, t1;
	unsigned i;
	int fd;

	srv_dir(&f);
	assert_int_equal(srv_create(&f, msg), 0);
	fd = client_connect(f.path);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 8 && !ans; i++) {
		assert_int_equal(send(fd, req + i, 1, MSG_NOSIGNAL), 1);
		ans = client_answer(&f, fd, 1000);
		if (!ans[0]) {
			free(ans);
			ans = NULL;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_non_null(ans);
	assert_non_null(strstr(ans, "request not complete within 5 s"));
	assert_true(t1.tv_sec - t0.tv_sec >= 5);
	free(ans);
	close(fd);
	api_server_destroy(f.s);
	rmdir(f.dir);
	api_ctl_destroy(&f.ctl);
}

/* ---- runtime calls on a VM (scripted backend) ---- */

#define KERNEL_SIZE (1u << 20)

struct vm_fx {
	uint8_t *kernel;
	int out[2];
	struct cellvm_config cfg;
	struct cellvm_vm *vm;
	pthread_t th;
	enum cellvm_stop why;
};

static void *vm_thread(void *arg)
{
	struct vm_fx *f = arg;
	struct cellvm_err err = { 0 };

	if (cellvm_vm_run(f->vm, &f->why, &err))
		f->why = CELLVM_STOP_ERROR;
	return NULL;
}

static void test_runtime_calls(void **state)
{
	struct cellvm_exit script[3];
	struct cellvm_err err = { 0 };
	struct api_ctl ctl;
	struct vm_fx f;
	uint64_t image_size = KERNEL_SIZE, flags = 0xa;
	uint32_t magic = 0x644d5241;
	char mpath[] = "/tmp/cellvm-metrics-XXXXXX", body[160], buf[4096];
	unsigned i;
	int mfd;
	ssize_t n;

	memset(&f, 0, sizeof(f));
	f.kernel = calloc(1, KERNEL_SIZE);
	memcpy(f.kernel + 16, &image_size, 8);
	memcpy(f.kernel + 24, &flags, 8);
	memcpy(f.kernel + 56, &magic, 4);
	assert_int_equal(pipe2(f.out, O_NONBLOCK), 0);
	cellvm_config_init(&f.cfg);
	f.cfg.hv = &cellvm_hv_test_ops;
	f.cfg.mem_size = 64ULL << 20;
	f.cfg.kernel.data = f.kernel;
	f.cfg.kernel.size = KERNEL_SIZE;
	f.cfg.console_out = f.out[1];
	f.cfg.log.level = CELLVM_LOG_ERROR;
	assert_int_equal(cellvm_vm_create(&f.cfg, &f.vm, &err), 0);
	/* Two UART writes, then a guest that runs until kicked, twice. */
	for (i = 0; i < 2; i++) {
		script[i] = (struct cellvm_exit){ .reason = CELLVM_EXIT_MMIO };
		script[i].mmio.addr = CELLVM_UART_BASE;
		script[i].mmio.len = 1;
		script[i].mmio.is_write = true;
		script[i].mmio.data = 'z';
	}
	script[2] = (struct cellvm_exit){ .reason = CELLVM_EXIT_KICK };
	script[2].unknown.code = CELLVM_HV_TEST_BLOCK;
	assert_int_equal(cellvm_hv_test_script(f.vm->hv, 0, script, 3), 0);

	ctl_setup(&ctl);
	mfd = mkstemp(mpath);
	close(mfd);
	snprintf(body, sizeof(body), "{\"metrics_path\": \"%s\"}", mpath);
	{
		struct req r = { "PUT", "/metrics", body, 204, NULL };

		check_req(&ctl, &r);
	}
	ctl.state = API_RUNNING;
	ctl.vm = f.vm;
	assert_int_equal(pthread_create(&f.th, NULL, vm_thread, &f), 0);
	/* Let the guest write its two bytes. */
	for (i = 0; i < 2000; i++) {
		struct timespec ts = { 0, 1000000 };

		if (read(f.out[0], buf, 2) == 2)
			break;
		nanosleep(&ts, NULL);
	}
	{
		static const struct req r[] = {
			{ "PATCH", "/vm", "{\"state\": \"Paused\"}", 204, NULL },
			{ "GET", "/", NULL, 200, "\"state\":\"Paused\"" },
			{ "PATCH", "/vm", "{\"state\": \"Paused\"}", 400,
			  "vm.state: Paused: the microVM is paused already" },
			{ "GET", "/metrics", NULL, 200, "\"name\":\"pl011\",\"base\":\"0x9000000\","
			  "\"mmio_reads\":0,\"mmio_writes\":2" },
			{ "GET", "/metrics", NULL, 200, "\"exits_mmio\":2" },
			{ "PATCH", "/vm", "{\"state\": \"Resumed\"}", 204, NULL },
			{ "GET", "/", NULL, 200, "\"state\":\"Running\"" },
			{ "PATCH", "/vm", "{\"state\": \"Resumed\"}", 400,
			  "vm.state: Resumed: the microVM is not paused" },
			{ "PATCH", "/vm", "{\"state\": \"Stopped\"}", 400,
			  "vm.state: 'Stopped': expected Paused or Resumed" },
			{ "PATCH", "/vm", "{\"state\": \"Paused\", \"x\": 1}", 400,
			  "vm: unknown field 'x'" },
			{ "PUT", "/actions", "{\"action_type\": \"FlushMetrics\"}", 204, NULL },
		};

		for (i = 0; i < sizeof(r) / sizeof(r[0]); i++)
			check_req(&ctl, &r[i]);
	}
	mfd = open(mpath, O_RDONLY);
	n = read(mfd, buf, sizeof(buf) - 1);
	close(mfd);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "\"mmio_writes\":2"));
	assert_non_null(strstr(buf, "\"api\":{\"requests\":"));
	assert_int_equal(buf[n - 1], '\n');
	cellvm_vm_request_stop(f.vm, CELLVM_STOP_QUIT);
	pthread_join(f.th, NULL);
	ctl.vm = NULL;
	cellvm_vm_destroy(f.vm);
	api_ctl_destroy(&ctl);
	unlink(mpath);
	close(f.out[0]);
	close(f.out[1]);
	free(f.kernel);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_router),
		cmocka_unit_test(test_start_fails),
		cmocka_unit_test(test_config_roundtrip),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_http_requests),
		cmocka_unit_test(test_http_bad),
		cmocka_unit_test(test_server_socket),
		cmocka_unit_test(test_server_refusals),
		cmocka_unit_test(test_server_slow_client),
		cmocka_unit_test(test_runtime_calls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
