// SPDX-License-Identifier: MIT
/*
 * The router: method and path to a handler, Firecracker's way. Successful
 * PUT/PATCH answer 204 with no body, GETs 200 with a JSON object, and
 * every error 400 with {"fault_message": "..."} naming the problem (an
 * unknown path or method included, as Firecracker does). The table below
 * is the list of endpoints in docs/api.md.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/vmcfg.h"

struct route;
typedef int (*handler_fn)(struct api_ctl *ctl, const struct route *r,
			  const char *id, json_t *body, json_t **out,
			  char *msg, size_t len);

enum when {
	ANY_TIME,
	PRE_BOOT, /* refused once the VM started, as Firecracker does */
	RUNTIME, /* refused before it did */
};

struct route {
	const char *method;
	const char *path; /* a trailing '/' takes an {id} after it */
	handler_fn fn;
	enum when when;
	bool body; /* a JSON body is required */
};

static const char *state_name(const struct api_ctl *ctl)
{
	if (ctl->state == API_NOT_STARTED)
		return "Not started";
	return ctl->vm && cellvm_vm_paused(ctl->vm) ? "Paused" : "Running";
}

/* ---- GET ---- */

static int get_instance(struct api_ctl *ctl, const struct route *r,
			const char *id, json_t *body, json_t **out, char *msg,
			size_t len)
{
	*out = json_pack("{s:s, s:s, s:s, s:s}", "id", ctl->id, "state",
			 state_name(ctl), "vmm_version", ctl->version,
			 "app_name", "cellvm");
	return 0;
}

static int get_version(struct api_ctl *ctl, const struct route *r,
		       const char *id, json_t *body, json_t **out, char *msg,
		       size_t len)
{
	*out = json_pack("{s:s}", "firecracker_version", ctl->version);
	return 0;
}

static int get_machine_config(struct api_ctl *ctl, const struct route *r,
			      const char *id, json_t *body, json_t **out,
			      char *msg, size_t len)
{
	*out = api_machine_config_json(&ctl->cfg);
	return 0;
}

static int get_vm_config(struct api_ctl *ctl, const struct route *r,
			 const char *id, json_t *body, json_t **out, char *msg,
			 size_t len)
{
	char *text = api_vmcfg_dump(&ctl->cfg);

	*out = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	return 0;
}

static int get_metrics(struct api_ctl *ctl, const struct route *r,
		       const char *id, json_t *body, json_t **out, char *msg,
		       size_t len)
{
	char *text = api_metrics_dump(ctl);

	*out = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	return 0;
}

/* ---- PUT: the pre-boot configuration (vmcfg.c) ---- */

static int put_boot_source(struct api_ctl *ctl, const struct route *r,
			   const char *id, json_t *body, json_t **out,
			   char *msg, size_t len)
{
	return api_put_boot_source(ctl, body, "boot-source", msg, len);
}

static int put_machine_config(struct api_ctl *ctl, const struct route *r,
			      const char *id, json_t *body, json_t **out,
			      char *msg, size_t len)
{
	return api_put_machine_config(ctl, body, "machine-config", msg, len);
}

static int put_drive(struct api_ctl *ctl, const struct route *r,
		     const char *id, json_t *body, json_t **out, char *msg,
		     size_t len)
{
	return api_put_drive(ctl, id, body, "drives", msg, len);
}

static int patch_drive(struct api_ctl *ctl, const struct route *r,
		       const char *id, json_t *body, json_t **out, char *msg,
		       size_t len)
{
	return api_patch_drive(ctl, id, body, "drives", msg, len);
}

static int put_net(struct api_ctl *ctl, const struct route *r, const char *id,
		   json_t *body, json_t **out, char *msg, size_t len)
{
	return api_put_net(ctl, id, body, "network-interfaces", msg, len);
}

static int put_entropy(struct api_ctl *ctl, const struct route *r,
		       const char *id, json_t *body, json_t **out, char *msg,
		       size_t len)
{
	return api_put_entropy(ctl, body, "entropy", msg, len);
}

static int put_vsock(struct api_ctl *ctl, const struct route *r,
		     const char *id, json_t *body, json_t **out, char *msg,
		     size_t len)
{
	return api_put_vsock(ctl, body, "vsock", msg, len);
}

static int put_logger(struct api_ctl *ctl, const struct route *r,
		      const char *id, json_t *body, json_t **out, char *msg,
		      size_t len)
{
	return api_put_logger(ctl, body, "logger", msg, len);
}

static int put_metrics(struct api_ctl *ctl, const struct route *r,
		       const char *id, json_t *body, json_t **out, char *msg,
		       size_t len)
{
	return api_put_metrics(ctl, body, "metrics", msg, len);
}

/* ---- actions and runtime control ---- */

/* One field, a string, named `name`: its value or NULL with msg. */
static const char *one_string(json_t *body, const char *where,
			      const char *name, char *msg, size_t len)
{
	const char *key;
	json_t *v;

	if (!json_is_object(body)) {
		api_fault(msg, len, "%s: expected a JSON object", where);
		return NULL;
	}
	json_object_foreach(body, key, v) {
		if (strcmp(key, name) != 0) {
			api_fault(msg, len, "%s: unknown field '%.64s'", where, key);
			return NULL;
		}
	}
	v = json_object_get(body, name);
	if (!v) {
		api_fault(msg, len, "%s.%s: missing (required)", where, name);
		return NULL;
	}
	if (!json_is_string(v)) {
		api_fault(msg, len, "%s.%s: expected a string", where, name);
		return NULL;
	}
	return json_string_value(v);
}

static int flush_metrics(struct api_ctl *ctl, char *msg, size_t len)
{
	char *text;
	size_t n;
	ssize_t w;

	if (ctl->metrics_fd < 0)
		return api_fault(msg, len, "FlushMetrics: no metrics file (PUT /metrics first)");
	text = api_metrics_dump(ctl);
	if (!text)
		return api_fault(msg, len, "FlushMetrics: out of memory");
	/* One JSON object per line, as Firecracker writes them. */
	n = strlen(text);
	text[n] = '\n';
	w = write(ctl->metrics_fd, text, n + 1);
	free(text);
	if (w != (ssize_t)(n + 1))
		return api_fault(msg, len, "FlushMetrics: %s: %s",
			    ctl->cfg.metrics_path,
			    w < 0 ? strerror(errno) : "short write");
	return 0;
}

static int instance_start(struct api_ctl *ctl, char *msg, size_t len)
{
	if (ctl->state != API_NOT_STARTED)
		return api_fault(msg, len, "InstanceStart: the microVM is already running");
	if (!ctl->cfg.kernel)
		return api_fault(msg, len, "InstanceStart: no boot source (PUT /boot-source first)");
	if (!ctl->start)
		return api_fault(msg, len, "InstanceStart: this server cannot start a VM");
	if (ctl->start(ctl->start_ctx, ctl, msg, len))
		return -EINVAL;
	ctl->state = API_RUNNING;
	return 0;
}

static int put_actions(struct api_ctl *ctl, const struct route *r,
		       const char *id, json_t *body, json_t **out, char *msg,
		       size_t len)
{
	const char *type = one_string(body, "actions", "action_type", msg, len);
	struct cellvm_err err = { 0 };

	if (!type)
		return -EINVAL;
	if (strcmp(type, "InstanceStart") == 0)
		return instance_start(ctl, msg, len);
	if (strcmp(type, "FlushMetrics") == 0)
		return flush_metrics(ctl, msg, len);
	if (strcmp(type, "SendCtrlAltDel") == 0) {
		if (!ctl->vm)
			return api_fault(msg, len, "SendCtrlAltDel: the microVM is not running");
		if (cellvm_vm_request_poweroff(ctl->vm, &err))
			return api_fault(msg, len, "SendCtrlAltDel: %s", err.msg);
		return 0;
	}
	return api_fault(msg, len, "actions.action_type: '%.64s': expected InstanceStart, FlushMetrics or SendCtrlAltDel",
		    type);
}

static int patch_vm(struct api_ctl *ctl, const struct route *r,
		    const char *id, json_t *body, json_t **out, char *msg,
		    size_t len)
{
	const char *st = one_string(body, "vm", "state", msg, len);
	struct cellvm_err err = { 0 };

	if (!st)
		return -EINVAL;
	if (!ctl->vm)
		return api_fault(msg, len, "vm.state: the microVM is not running");
	if (strcmp(st, "Paused") == 0) {
		if (cellvm_vm_paused(ctl->vm))
			return api_fault(msg, len, "vm.state: Paused: the microVM is paused already");
		if (cellvm_vm_pause(ctl->vm, &err))
			return api_fault(msg, len, "vm.state: Paused: %s", err.msg);
		return 0;
	}
	if (strcmp(st, "Resumed") == 0) {
		if (!cellvm_vm_paused(ctl->vm))
			return api_fault(msg, len, "vm.state: Resumed: the microVM is not paused");
		if (cellvm_vm_resume(ctl->vm, &err))
			return api_fault(msg, len, "vm.state: Resumed: %s", err.msg);
		return 0;
	}
	return api_fault(msg, len, "vm.state: '%.32s': expected Paused or Resumed", st);
}

static const struct route routes[] = {
	{ "GET", "/", get_instance, ANY_TIME, false },
	{ "GET", "/version", get_version, ANY_TIME, false },
	{ "GET", "/machine-config", get_machine_config, ANY_TIME, false },
	{ "GET", "/vm/config", get_vm_config, ANY_TIME, false },
	{ "GET", "/metrics", get_metrics, ANY_TIME, false }, /* extension */
	{ "PUT", "/boot-source", put_boot_source, PRE_BOOT, true },
	{ "PUT", "/machine-config", put_machine_config, PRE_BOOT, true },
	{ "PUT", "/drives/", put_drive, PRE_BOOT, true },
	{ "PATCH", "/drives/", patch_drive, RUNTIME, true },
	{ "PUT", "/network-interfaces/", put_net, PRE_BOOT, true },
	{ "PUT", "/entropy", put_entropy, PRE_BOOT, true },
	{ "PUT", "/vsock", put_vsock, PRE_BOOT, true },
	{ "PUT", "/logger", put_logger, PRE_BOOT, true },
	{ "PUT", "/metrics", put_metrics, PRE_BOOT, true },
	{ "PUT", "/actions", put_actions, ANY_TIME, true },
	{ "PATCH", "/vm", patch_vm, RUNTIME, true },
};

/* Does path match the route? *id: the {id} part (in idbuf) or NULL. */
static bool route_match(const struct route *r, const char *path, char *idbuf,
			size_t idlen, const char **id)
{
	size_t n = strlen(r->path);

	*id = NULL;
	if (n > 1 && r->path[n - 1] == '/') {
		size_t rest;

		if (strncmp(path, r->path, n) != 0)
			return false;
		rest = strlen(path + n);
		if (rest == 0 || rest >= idlen || strchr(path + n, '/'))
			return false;
		memcpy(idbuf, path + n, rest + 1);
		*id = idbuf;
		return true;
	}
	return strcmp(path, r->path) == 0;
}

static int route_call(struct api_ctl *ctl, const struct route *r,
		      const char *id, const char *body, size_t blen,
		      json_t **out, char *msg, size_t len)
{
	json_error_t jerr;
	json_t *j = NULL;
	int ret;

	if (r->when == PRE_BOOT && ctl->state != API_NOT_STARTED)
		return api_fault(msg, len, "%s %s: not allowed after the microVM started",
			    r->method, r->path);
	if (r->when == RUNTIME && ctl->state == API_NOT_STARTED)
		return api_fault(msg, len, "%s %s: not allowed before the microVM started",
			    r->method, r->path);
	if (r->body) {
		if (blen == 0)
			return api_fault(msg, len, "%s %s: a JSON body is required",
				    r->method, r->path);
		j = json_loadb(body, blen, JSON_REJECT_DUPLICATES, &jerr);
		if (!j)
			return api_fault(msg, len, "body is not JSON: column %d: %s",
				    jerr.column, jerr.text);
	} else if (blen) {
		return api_fault(msg, len, "%s %s: takes no body", r->method, r->path);
	}
	ret = r->fn(ctl, r, id, j, out, msg, len);
	json_decref(j);
	return ret;
}

static int respond(struct api_response *resp, int status, json_t *j)
{
	resp->status = status;
	resp->body = NULL;
	if (!j)
		return status == 204 ? 0 : -ENOMEM;
	resp->body = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	return resp->body ? 0 : -ENOMEM;
}

int api_handle(struct api_ctl *ctl, const char *method, const char *target,
	       const char *body, size_t len, struct api_response *resp)
{
	char msg[512], idbuf[API_MAX_ID + 2], path[API_MAX_URL + 1];
	const struct route *r = NULL;
	const char *id = NULL;
	json_t *out = NULL;
	bool path_known = false;
	size_t i;
	int ret;

	ctl->requests++;
	/* The query part plays no role in Firecracker's API: ignore it. */
	snprintf(path, sizeof(path), "%.*s", (int)strcspn(target, "?"), target);
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (!route_match(&routes[i], path, idbuf, sizeof(idbuf), &id))
			continue;
		path_known = true;
		if (strcmp(routes[i].method, method) == 0) {
			r = &routes[i];
			break;
		}
	}
	if (!r)
		ret = path_known ? api_fault(msg, sizeof(msg), "%.16s %.200s: method not allowed", method, path)
				 : api_fault(msg, sizeof(msg), "%.16s %.200s: no such path", method, path);
	else
		ret = route_call(ctl, r, id, body, len, &out, msg, sizeof(msg));
	if (ret == 0)
		return out ? respond(resp, 200, out) : respond(resp, 204, NULL);
	json_decref(out);
	ctl->errors++;
	if (ctl->log)
		cellvm_log(ctl->log, CELLVM_LOG_INFO, "api", "400: %s", msg);
	return respond(resp, 400, json_pack("{s:s}", "fault_message", msg));
}

void api_ctl_init(struct api_ctl *ctl)
{
	memset(ctl, 0, sizeof(*ctl));
	ctl->cfg.log_level = -1;
	ctl->metrics_fd = -1;
	ctl->id = "anonymous-instance";
	ctl->version = "unknown";
}

void api_ctl_destroy(struct api_ctl *ctl)
{
	api_vmcfg_clear(&ctl->cfg);
	if (ctl->metrics_fd >= 0)
		close(ctl->metrics_fd);
	ctl->metrics_fd = -1;
}

/* ---- metrics (a cellvm extension at GET /metrics; FlushMetrics) ---- */

#define METRICS_MAX_DEVS 64

static json_t *dev_metrics(const struct cellvm_dev_counters *d)
{
	char base[24];
	json_t *o, *qa;
	unsigned q;

	snprintf(base, sizeof(base), "0x%llx", (unsigned long long)d->base);
	o = json_pack("{s:s, s:s, s:I, s:I}", "name", d->name, "base", base,
		      "mmio_reads", (json_int_t)d->reads, "mmio_writes",
		      (json_int_t)d->writes);
	if (!o)
		return o;
	json_object_set_new(o, "irqs", json_integer((json_int_t)d->irqs));
	if (d->nr_queues == 0)
		return o;
	json_object_set_new(o, "errors", json_integer((json_int_t)d->errors));
	qa = json_array();
	for (q = 0; qa && q < d->nr_queues && q < CELLVM_COUNTERS_MAX_QUEUES; q++)
		json_array_append_new(qa, json_pack("{s:I, s:I, s:I}",
			"requests", (json_int_t)d->queue[q].requests,
			"bytes_read", (json_int_t)d->queue[q].bytes_read,
			"bytes_written", (json_int_t)d->queue[q].bytes_written));
	json_object_set_new(o, "queues", qa);
	return o;
}

static json_t *vm_metrics(struct cellvm_vm *vm)
{
	struct cellvm_vcpu_counters vc[CELLVM_MAX_VCPUS];
	struct cellvm_dev_counters dc[METRICS_MAX_DEVS];
	struct cellvm_vm_totals tot;
	unsigned nv = 0, nd = 0, i;
	json_t *o = json_object(), *va = json_array(), *da = json_array();

	cellvm_vm_counters(vm, vc, CELLVM_MAX_VCPUS, &nv, dc, METRICS_MAX_DEVS,
			   &nd, &tot);
	for (i = 0; i < nv && i < CELLVM_MAX_VCPUS; i++)
		json_array_append_new(va, json_pack("{s:i, s:I, s:I, s:I, s:I}",
			"cpu", (int)i, "exits", (json_int_t)vc[i].exits,
			"exits_mmio", (json_int_t)vc[i].exits_mmio,
			"exits_kick", (json_int_t)vc[i].exits_kick,
			"exits_other", (json_int_t)vc[i].exits_other));
	for (i = 0; i < nd && i < METRICS_MAX_DEVS; i++)
		json_array_append_new(da, dev_metrics(&dc[i]));
	json_object_set_new(o, "uptime_ms",
			    json_integer((json_int_t)(tot.uptime_ns / 1000000)));
	json_object_set_new(o, "console", json_pack("{s:I, s:I}", "bytes_in",
			    (json_int_t)tot.console_in_bytes, "bytes_out",
			    (json_int_t)tot.console_out_bytes));
	json_object_set_new(o, "vcpus", va);
	json_object_set_new(o, "devices", da);
	return o;
}

char *api_metrics_dump(const struct api_ctl *ctl)
{
	json_t *root = json_object();
	char *text;

	json_object_set_new(root, "api", json_pack("{s:I, s:I}", "requests",
			    (json_int_t)ctl->requests, "errors",
			    (json_int_t)ctl->errors));
	if (ctl->vm)
		json_object_set_new(root, "vm", vm_metrics(ctl->vm));
	text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	return text;
}
