// SPDX-License-Identifier: MIT
/*
 * One HTTP/1.1 client of the API (RFC 9112 message syntax), parsed by
 * Node's http-parser (libhttp-parser): bytes in, requests to the router,
 * answers queued as bytes out. Limits (api.h, docs/api.md): the request
 * target, the request line and headers together, and the body each have
 * a bound; anything over it is answered with a 400 and the connection
 * closed, as is any request http-parser rejects. Requests may be
 * pipelined; answers go out in order. Nothing here blocks or reads a
 * socket: server.c does the I/O, the unit tests and fuzz_api feed bytes.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <http_parser.h>

#include "api/api.h"

/* Answers queued but not written: past this, the client is not reading
 * and is dropped (it could otherwise make us hold any amount). */
#define API_MAX_OUTPUT (4 * API_MAX_BODY)

struct api_conn {
	struct api_ctl *ctl;
	http_parser parser;
	http_parser_settings settings;
	char url[API_MAX_URL + 1];
	size_t url_len;
	size_t head_bytes; /* request line and headers so far */
	char *body;
	size_t body_len;
	bool in_message;
	bool closing; /* answer what is queued, then close */
	const char *fault; /* a limit was hit: the callback stopped parsing */
	char *out;
	size_t out_len, out_cap;
};

static int out_append(struct api_conn *c, const char *data, size_t n)
{
	char *p;

	if (c->out_len + n > API_MAX_OUTPUT)
		return -ENOBUFS;
	if (c->out_len + n > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 1024;

		while (cap < c->out_len + n)
			cap *= 2;
		p = realloc(c->out, cap);
		if (!p)
			return -ENOMEM;
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, data, n);
	c->out_len += n;
	return 0;
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	default: return "Bad Request";
	}
}

static int queue_response(struct api_conn *c, const struct api_response *r)
{
	char head[256];
	size_t blen = r->body ? strlen(r->body) : 0;
	int n;

	if (r->status == 204)
		n = snprintf(head, sizeof(head), "HTTP/1.1 204 No Content\r\n%s\r\n",
			     c->closing ? "Connection: close\r\n" : "");
	else
		n = snprintf(head, sizeof(head),
			     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
			     "Content-Length: %zu\r\n%s\r\n",
			     r->status, reason(r->status), blen,
			     c->closing ? "Connection: close\r\n" : "");
	if (out_append(c, head, (size_t)n))
		return -ENOBUFS;
	return blen ? out_append(c, r->body, blen) : 0;
}

void api_conn_fail(struct api_conn *c, const char *msg)
{
	struct api_response r = { 400, NULL };
	char *esc = NULL;
	size_t i, n = 0;

	if (c->closing)
		return; /* one answer to a broken connection is enough */
	c->closing = true;
	c->ctl->errors++;
	/* msg is ours (no quotes or backslashes in it), but be safe. */
	esc = malloc(strlen(msg) + 32);
	if (esc) {
		n = (size_t)sprintf(esc, "{\"fault_message\":\"");
		for (i = 0; msg[i]; i++)
			esc[n++] = (msg[i] == '"' || msg[i] == '\\' ||
				    (unsigned char)msg[i] < 0x20) ? '?' : msg[i];
		strcpy(esc + n, "\"}");
	}
	r.body = esc;
	if (queue_response(c, &r))
		c->out_len = 0; /* cannot even say why: just close */
	free(esc);
}

static struct api_conn *conn_of(http_parser *p)
{
	return p->data;
}

static int on_message_begin(http_parser *p)
{
	struct api_conn *c = conn_of(p);

	c->url_len = 0;
	c->head_bytes = 0;
	c->body_len = 0;
	c->in_message = true;
	return 0;
}

static int on_url(http_parser *p, const char *at, size_t n)
{
	struct api_conn *c = conn_of(p);

	if (c->url_len + n > API_MAX_URL) {
		c->fault = "request target over the limit of " "1024 bytes";
		return -1;
	}
	memcpy(c->url + c->url_len, at, n);
	c->url_len += n;
	c->url[c->url_len] = '\0';
	return 0;
}

/* Header names and values count against the head limit. */
static int on_header_part(http_parser *p, const char *at, size_t n)
{
	struct api_conn *c = conn_of(p);

	c->head_bytes += n;
	if (c->head_bytes + c->url_len > API_MAX_HEADERS) {
		c->fault = "request headers over the limit of 8192 bytes";
		return -1;
	}
	return 0;
}

static int on_headers_complete(http_parser *p)
{
	struct api_conn *c = conn_of(p);

	if (p->http_major != 1) {
		c->fault = "only HTTP/1.0 and HTTP/1.1 are served";
		return -1;
	}
	/* Refused before the body arrives: a Content-Length over the limit
	 * (ULLONG_MAX: no length given, chunked or none). */
	if (p->content_length != ULLONG_MAX && p->content_length > API_MAX_BODY) {
		c->fault = "request body over the limit of 65536 bytes";
		return -1;
	}
	return 0;
}

static int on_body(http_parser *p, const char *at, size_t n)
{
	struct api_conn *c = conn_of(p);

	if (c->body_len + n > API_MAX_BODY) {
		c->fault = "request body over the limit of 65536 bytes";
		return -1;
	}
	memcpy(c->body + c->body_len, at, n);
	c->body_len += n;
	return 0;
}

static int on_message_complete(http_parser *p)
{
	struct api_conn *c = conn_of(p);
	struct api_response r = { 0, NULL };

	c->in_message = false;
	if (!http_should_keep_alive(p))
		c->closing = true;
	if (api_handle(c->ctl, http_method_str((enum http_method)p->method),
		       c->url, c->body, c->body_len, &r)) {
		c->fault = "out of memory";
		return -1;
	}
	if (queue_response(c, &r)) {
		free(r.body);
		c->fault = "answers not read by the client";
		return -1;
	}
	free(r.body);
	/* After Connection: close nothing more is read. */
	return c->closing ? -1 : 0;
}

int api_conn_create(struct api_ctl *ctl, struct api_conn **out)
{
	struct api_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->body = malloc(API_MAX_BODY);
	if (!c->body) {
		free(c);
		return -ENOMEM;
	}
	c->ctl = ctl;
	http_parser_init(&c->parser, HTTP_REQUEST);
	c->parser.data = c;
	http_parser_settings_init(&c->settings);
	c->settings.on_message_begin = on_message_begin;
	c->settings.on_url = on_url;
	c->settings.on_header_field = on_header_part;
	c->settings.on_header_value = on_header_part;
	c->settings.on_headers_complete = on_headers_complete;
	c->settings.on_body = on_body;
	c->settings.on_message_complete = on_message_complete;
	*out = c;
	return 0;
}

void api_conn_destroy(struct api_conn *c)
{
	if (!c)
		return;
	free(c->body);
	free(c->out);
	free(c);
}

int api_conn_feed(struct api_conn *c, const char *buf, size_t len)
{
	char msg[160];
	size_t done;
	enum http_errno e;

	if (c->closing)
		return 1; /* nothing more is read from this client */
	if (len == 0) {
		/* The client closed its side: a request it began is lost. */
		c->closing = true;
		return 1;
	}
	done = http_parser_execute(&c->parser, &c->settings, buf, len);
	if (c->closing && !c->fault)
		return 1; /* Connection: close, answered */
	e = HTTP_PARSER_ERRNO(&c->parser);
	if (c->fault) {
		api_conn_fail(c, c->fault);
		return 1;
	}
	if (e != HPE_OK || done != len) {
		snprintf(msg, sizeof(msg), "malformed HTTP request: %s",
			 http_errno_description(e));
		api_conn_fail(c, msg);
		return 1;
	}
	if (c->parser.upgrade) {
		api_conn_fail(c, "protocol upgrades are not supported");
		return 1;
	}
	return 0;
}

const char *api_conn_output(const struct api_conn *c, size_t *len)
{
	*len = c->out_len;
	return c->out;
}

void api_conn_consume(struct api_conn *c, size_t n)
{
	if (n > c->out_len)
		n = c->out_len;
	if (n == 0)
		return;
	memmove(c->out, c->out + n, c->out_len - n);
	c->out_len -= n;
}

bool api_conn_mid_request(const struct api_conn *c)
{
	return c->in_message;
}
