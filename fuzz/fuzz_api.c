// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the control plane's parsing: the real HTTP
 * connection (http-parser) and router (jansson, the handlers) of src/api,
 * fed arbitrary bytes. The first input byte picks how the rest is cut
 * into reads (one piece, bytes one by one, or pieces of that many bytes),
 * as a client's writes may arrive; after a fixed pre-boot prefix some
 * requests run as if the VM had started (no VM object: runtime calls must
 * refuse). The whole input also goes to --config-file's loader.
 *
 * Invariants: nothing crashes or leaks (ASan), every answer is a complete
 * HTTP/1.1 response with a 200, 204 or 400 status, a 400's body is a JSON
 * object with a string fault_message, and output never exceeds the
 * connection's bound.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/api.h"

#define CHECK(cond)                                                       \
	do {                                                              \
		if (!(cond))                                              \
			__builtin_trap();                                 \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fake_start(void *ctx, struct api_ctl *ctl, char *msg, size_t len)
{
	return 0;
}

/* Every response in out[0..n): status line, headers, a body of exactly
 * Content-Length bytes; a 400's body names its fault. */
static void check_output(const char *out, size_t n)
{
	while (n > 0) {
		const char *end = memmem(out, n, "\r\n\r\n", 4);
		const char *cl;
		size_t head, body = 0;
		int status;

		CHECK(end);
		CHECK(n > 12 && memcmp(out, "HTTP/1.1 ", 9) == 0);
		status = (out[9] - '0') * 100 + (out[10] - '0') * 10 + (out[11] - '0');
		CHECK(status == 200 || status == 204 || status == 400);
		head = (size_t)(end - out) + 4;
		cl = memmem(out, head, "Content-Length: ", 16);
		if (cl)
			body = strtoul(cl + 16, NULL, 10);
		CHECK(head + body <= n);
		if (status == 400) {
			json_t *j = json_loadb(out + head, body, 0, NULL);

			CHECK(j && json_is_string(json_object_get(j, "fault_message")));
			json_decref(j);
		}
		out += head + body;
		n -= head + body;
	}
}

static void feed_conn(const uint8_t *data, size_t size, unsigned step)
{
	struct api_ctl ctl;
	struct api_conn *c;
	size_t off = 0, n;
	const char *out;

	api_ctl_init(&ctl);
	ctl.start = fake_start;
	if (api_conn_create(&ctl, &c))
		return;
	while (off < size) {
		size_t piece = step ? step : size - off;

		if (piece > size - off)
			piece = size - off;
		/* Half way, the VM "starts": the same requests, runtime. */
		if (off >= size / 2)
			ctl.state = API_RUNNING;
		if (api_conn_feed(c, (const char *)data + off, piece))
			break;
		off += piece;
	}
	out = api_conn_output(c, &n);
	check_output(out, n);
	api_conn_destroy(c);
	api_ctl_destroy(&ctl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_ctl ctl;
	char msg[512];

	if (size < 1 || size > 1 << 17)
		return 0;
	/* PUT /metrics creates the file it names: not from fuzz input. */
	if (memmem(data, size, "metrics_path", 12))
		return 0;
	feed_conn(data + 1, size - 1, data[0] % 17);
	api_ctl_init(&ctl);
	if (api_config_load(&ctl, (const char *)data + 1, size - 1, msg,
			    sizeof(msg)) != 0)
		CHECK(msg[0] != '\0');
	api_ctl_destroy(&ctl);
	return 0;
}
