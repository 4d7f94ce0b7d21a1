// SPDX-License-Identifier: MIT
/*
 * The machine's configuration in Firecracker's shape (its OpenAPI
 * description: BootSource, MachineConfiguration, Drive, NetworkInterface,
 * EntropyDevice, Logger, Metrics; the config file is FullVmConfiguration):
 * the PUT bodies checked field by field against a table, the whole as
 * GET /vm/config's JSON and back (--config-file), and the translation into
 * struct cellvm_config. JSON is jansson's; nothing here parses text.
 *
 * Which fields are accepted, ignored (a warning) or refused is in
 * docs/api.md; the tables below are the source of that list.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/vmcfg.h"

/* Firecracker's bounds: 1 or an even count up to 32 vCPUs; we take what
 * the library takes and let it refuse what the host cannot run. */
#define API_MAX_MEM_MIB (1u << 20) /* 1 TiB */

enum ftype {
	F_STR, /* a string */
	F_BOOL,
	F_UINT, /* a non-negative integer */
	F_IGNORED, /* accepted, not acted on: a warning */
	F_REFUSED, /* a feature cellvm does not have: an error unless null */
};

struct field {
	const char *name;
	enum ftype type;
	bool required;
	/* where the value goes: const char **, bool *, uint64_t * */
	void *out;
};

int api_fault(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const char *type_name(enum ftype t)
{
	switch (t) {
	case F_STR: return "a string";
	case F_BOOL: return "true or false";
	case F_UINT: return "a non-negative integer";
	default: return "a value";
	}
}

static int field_take(const struct field *f, json_t *v, const char *where,
		      const struct cellvm_log *log, char *msg, size_t len)
{
	switch (f->type) {
	case F_STR:
		if (!json_is_string(v))
			break;
		*(const char **)f->out = json_string_value(v);
		return 0;
	case F_BOOL:
		if (!json_is_boolean(v))
			break;
		*(bool *)f->out = json_is_true(v);
		return 0;
	case F_UINT:
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			break;
		*(uint64_t *)f->out = (uint64_t)json_integer_value(v);
		return 0;
	case F_IGNORED:
		if (log)
			cellvm_log(log, CELLVM_LOG_WARN, "api",
				   "%s.%s: accepted but ignored by cellvm",
				   where, f->name);
		return 0;
	case F_REFUSED:
		if (json_is_null(v))
			return 0;
		return api_fault(msg, len, "%s.%s: not supported by cellvm", where,
			    f->name);
	}
	return api_fault(msg, len, "%s.%s: expected %s", where, f->name,
		    type_name(f->type));
}

/* Check obj against the table: types, unknown and missing fields. */
static int fields_parse(json_t *obj, const struct field *f, unsigned n,
			const char *where, const struct cellvm_log *log, char *msg,
			size_t len)
{
	bool seen[16] = { false };
	const char *key;
	json_t *v;
	unsigned i;
	int ret;

	if (!json_is_object(obj))
		return api_fault(msg, len, "%s: expected a JSON object", where);
	json_object_foreach(obj, key, v) {
		for (i = 0; i < n && strcmp(f[i].name, key) != 0; i++)
			;
		if (i == n)
			return api_fault(msg, len, "%s: unknown field '%.64s'",
				    where, key);
		ret = field_take(&f[i], v, where, log, msg, len);
		if (ret)
			return ret;
		seen[i] = true;
	}
	for (i = 0; i < n; i++)
		if (f[i].required && !seen[i])
			return api_fault(msg, len, "%s.%s: missing (required)", where,
				    f[i].name);
	return 0;
}

/* Replace *dst with a copy of src (NULL: none). */
static int set_str(char **dst, const char *src)
{
	char *c = NULL;

	if (src && !(c = strdup(src)))
		return -ENOMEM;
	free(*dst);
	*dst = c;
	return 0;
}

int api_put_boot_source(struct api_ctl *ctl, json_t *j, const char *where,
			char *msg, size_t len)
{
	const char *kernel = NULL, *initrd = NULL, *args = NULL;
	const struct field f[] = {
		{ "kernel_image_path", F_STR, true, &kernel },
		{ "initrd_path", F_STR, false, &initrd },
		{ "boot_args", F_STR, false, &args },
	};
	struct api_vmcfg *c = &ctl->cfg;
	int ret;

	ret = fields_parse(j, f, 3, where, ctl->log, msg, len);
	if (ret)
		return ret;
	if (!kernel[0])
		return api_fault(msg, len, "%s.kernel_image_path: empty", where);
	if (set_str(&c->kernel, kernel) || set_str(&c->initrd, initrd) ||
	    set_str(&c->boot_args, args))
		return api_fault(msg, len, "%s: out of memory", where);
	return 0;
}

int api_put_machine_config(struct api_ctl *ctl, json_t *j, const char *where,
			   char *msg, size_t len)
{
	uint64_t vcpus = 0, mem = 0;
	bool smt = false, dirty = false;
	const char *tmpl = NULL, *huge = NULL;
	const struct field f[] = {
		{ "vcpu_count", F_UINT, true, &vcpus },
		{ "mem_size_mib", F_UINT, true, &mem },
		{ "smt", F_BOOL, false, &smt },
		{ "track_dirty_pages", F_BOOL, false, &dirty },
		{ "cpu_template", F_STR, false, &tmpl },
		{ "huge_pages", F_STR, false, &huge },
	};
	int ret;

	ret = fields_parse(j, f, 6, where, ctl->log, msg, len);
	if (ret)
		return ret;
	if (vcpus < 1 || vcpus > CELLVM_MAX_VCPUS)
		return api_fault(msg, len, "%s.vcpu_count: %llu: must be 1 to %d",
			    where, (unsigned long long)vcpus, CELLVM_MAX_VCPUS);
	if (mem < 1 || mem > API_MAX_MEM_MIB)
		return api_fault(msg, len, "%s.mem_size_mib: %llu: must be 1 to %u",
			    where, (unsigned long long)mem, API_MAX_MEM_MIB);
	if (smt)
		return api_fault(msg, len, "%s.smt: true: cellvm has no SMT on arm64",
			    where);
	if (dirty)
		return api_fault(msg, len, "%s.track_dirty_pages: true: not supported by cellvm",
			    where);
	if (tmpl && strcmp(tmpl, "None") != 0)
		return api_fault(msg, len, "%s.cpu_template: '%.32s': cellvm takes only \"None\" (see --cpu-features)",
			    where, tmpl);
	if (huge && strcmp(huge, "None") != 0)
		return api_fault(msg, len, "%s.huge_pages: '%.32s': cellvm takes only \"None\"",
			    where, huge);
	ctl->cfg.vcpus = (unsigned)vcpus;
	ctl->cfg.mem_mib = (unsigned)mem;
	return 0;
}

json_t *api_machine_config_json(const struct api_vmcfg *c)
{
	return json_pack("{s:i, s:i, s:b, s:b}", "vcpu_count",
			 (json_int_t)(c->vcpus ? c->vcpus : 1), "mem_size_mib",
			 (json_int_t)(c->mem_mib ? c->mem_mib : 256), "smt", 0,
			 "track_dirty_pages", 0);
}

/* An {id}: 1..API_MAX_ID of [A-Za-z0-9_], as Firecracker's ids. */
static int check_id(const char *id, const char *where, const char *name,
		    char *msg, size_t len)
{
	size_t i, n = strlen(id);

	if (n == 0 || n > API_MAX_ID)
		return api_fault(msg, len, "%s.%s: must be 1 to %d characters",
			    where, name, API_MAX_ID);
	for (i = 0; i < n; i++)
		if (!(id[i] == '_' || (id[i] >= '0' && id[i] <= '9') ||
		      (id[i] >= 'a' && id[i] <= 'z') ||
		      (id[i] >= 'A' && id[i] <= 'Z')))
			return api_fault(msg, len, "%s.%s: '%.64s': only letters, digits and _",
				    where, name, id);
	return 0;
}

/* The body's id must match the URL's (Firecracker refuses otherwise). */
static int check_path_id(const char *path_id, const char *id,
			 const char *where, const char *name, char *msg,
			 size_t len)
{
	int ret = check_id(id, where, name, msg, len);

	if (ret)
		return ret;
	if (path_id && strcmp(path_id, id) != 0)
		return api_fault(msg, len, "%s.%s: '%.64s' differs from the path's '%.64s'",
			    where, name, id, path_id);
	return 0;
}

int api_put_drive(struct api_ctl *ctl, const char *path_id, json_t *j,
		  const char *where, char *msg, size_t len)
{
	const char *id = NULL, *path = NULL, *cache = NULL, *engine = NULL;
	const char *partuuid = NULL;
	bool ro = false, root = false;
	const struct field f[] = {
		{ "drive_id", F_STR, true, &id },
		{ "path_on_host", F_STR, true, &path },
		{ "is_root_device", F_BOOL, true, &root },
		{ "is_read_only", F_BOOL, false, &ro },
		{ "partuuid", F_STR, false, &partuuid },
		{ "cache_type", F_STR, false, &cache },
		{ "io_engine", F_STR, false, &engine },
		{ "rate_limiter", F_REFUSED, false, NULL },
		{ "socket", F_REFUSED, false, NULL },
	};
	struct api_vmcfg *c = &ctl->cfg;
	struct api_drive *d = NULL;
	unsigned i;
	int ret;

	ret = fields_parse(j, f, 9, where, ctl->log, msg, len);
	if (!ret)
		ret = check_path_id(path_id, id, where, "drive_id", msg, len);
	if (ret)
		return ret;
	if (partuuid)
		return api_fault(msg, len, "%s.partuuid: not supported by cellvm (root= names /dev/vda)",
			    where);
	if (cache && strcmp(cache, "Unsafe") != 0)
		return api_fault(msg, len, "%s.cache_type: '%.32s': cellvm takes only \"Unsafe\"",
			    where, cache);
	if (engine && strcmp(engine, "Sync") != 0)
		return api_fault(msg, len, "%s.io_engine: '%.32s': cellvm takes only \"Sync\"",
			    where, engine);
	for (i = 0; i < c->nr_drives; i++) {
		if (strcmp(c->drive[i].id, id) == 0)
			d = &c->drive[i];
		else if (root && c->drive[i].root)
			return api_fault(msg, len, "%s.is_root_device: drive '%s' is the root device already",
				    where, c->drive[i].id);
	}
	if (!d && c->nr_drives >= API_MAX_DRIVES)
		return api_fault(msg, len, "%s: at most %d drives", where,
			    API_MAX_DRIVES);
	if (!d) {
		d = &c->drive[c->nr_drives];
		memset(d, 0, sizeof(*d));
	}
	if (set_str(&d->path, path))
		return api_fault(msg, len, "%s: out of memory", where);
	snprintf(d->id, sizeof(d->id), "%s", id);
	d->readonly = ro;
	d->root = root;
	if (d == &c->drive[c->nr_drives])
		c->nr_drives++;
	return 0;
}

/* The disk number the VM gave drive i: the root drive is the first disk,
 * the others follow in order (api_vmcfg_to_config). */
static unsigned drive_disk_index(const struct api_vmcfg *c, unsigned i)
{
	unsigned k, n = 0;
	bool has_root = false;

	for (k = 0; k < c->nr_drives; k++)
		has_root |= c->drive[k].root;
	if (c->drive[i].root)
		return 0;
	for (k = 0; k < i; k++)
		n += !c->drive[k].root;
	return n + has_root;
}

int api_patch_drive(struct api_ctl *ctl, const char *path_id, json_t *j,
		    const char *where, char *msg, size_t len)
{
	const char *id = NULL, *path = NULL;
	const struct field f[] = {
		{ "drive_id", F_STR, true, &id },
		{ "path_on_host", F_STR, false, &path },
		{ "rate_limiter", F_REFUSED, false, NULL },
	};
	struct cellvm_err err = { 0 };
	struct api_drive *d;
	unsigned i, idx;
	char *copy;
	int ret;

	ret = fields_parse(j, f, 3, where, ctl->log, msg, len);
	if (!ret)
		ret = check_path_id(path_id, id, where, "drive_id", msg, len);
	if (ret)
		return ret;
	for (i = 0; i < ctl->cfg.nr_drives; i++)
		if (strcmp(ctl->cfg.drive[i].id, id) == 0)
			break;
	if (i == ctl->cfg.nr_drives)
		return api_fault(msg, len, "%s.drive_id: no drive '%s'", where, id);
	d = &ctl->cfg.drive[i];
	if (!path)
		return 0; /* nothing to change */
	if (!ctl->vm)
		return api_fault(msg, len, "%s: the microVM is not running", where);
	/* A new backing file, or the same one rescanned (its new size). */
	copy = strdup(path);
	if (!copy)
		return api_fault(msg, len, "%s: out of memory", where);
	idx = drive_disk_index(&ctl->cfg, i);
	if (cellvm_vm_disk_replace(ctl->vm, idx, copy, &err)) {
		free(copy);
		return api_fault(msg, len, "%s.path_on_host: %s", where, err.msg);
	}
	/* The running VM has it; now the next one (a guest reboot). */
	ret = ctl->disk_changed ? ctl->disk_changed(ctl->disk_ctx, idx, copy,
						    msg, len) : 0;
	free(d->path);
	d->path = copy;
	return ret;
}

/* "aa:bb:cc:dd:ee:ff" */
static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char end;
	int i;

	if (strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &end) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		if (s[3 * i + 2] != (i == 5 ? '\0' : ':'))
			return -EINVAL;
		mac[i] = (uint8_t)v[i];
	}
	return 0;
}

int api_put_net(struct api_ctl *ctl, const char *path_id, json_t *j,
		const char *where, char *msg, size_t len)
{
	const char *id = NULL, *tap = NULL, *mac = NULL;
	const struct field f[] = {
		{ "iface_id", F_STR, true, &id },
		{ "host_dev_name", F_STR, true, &tap },
		{ "guest_mac", F_STR, false, &mac },
		{ "rx_rate_limiter", F_REFUSED, false, NULL },
		{ "tx_rate_limiter", F_REFUSED, false, NULL },
	};
	struct api_vmcfg *c = &ctl->cfg;
	struct api_net *n = NULL;
	uint8_t m[6];
	unsigned i;
	int ret;

	ret = fields_parse(j, f, 5, where, ctl->log, msg, len);
	if (!ret)
		ret = check_path_id(path_id, id, where, "iface_id", msg, len);
	if (ret)
		return ret;
	if (!tap[0] || strlen(tap) >= 16)
		return api_fault(msg, len, "%s.host_dev_name: '%.64s': must be 1 to 15 characters",
			    where, tap);
	if (mac && parse_mac(mac, m))
		return api_fault(msg, len, "%s.guest_mac: '%.32s': expected XX:XX:XX:XX:XX:XX",
			    where, mac);
	for (i = 0; i < c->nr_nets; i++)
		if (strcmp(c->net[i].id, id) == 0)
			n = &c->net[i];
	if (!n && c->nr_nets >= API_MAX_NETS)
		return api_fault(msg, len, "%s: at most %d network interfaces",
			    where, API_MAX_NETS);
	if (!n) {
		n = &c->net[c->nr_nets];
		memset(n, 0, sizeof(*n));
	}
	if (set_str(&n->tap, tap))
		return api_fault(msg, len, "%s: out of memory", where);
	snprintf(n->id, sizeof(n->id), "%s", id);
	n->has_mac = mac != NULL;
	if (mac)
		memcpy(n->mac, m, 6);
	if (n == &c->net[c->nr_nets])
		c->nr_nets++;
	return 0;
}

int api_put_entropy(struct api_ctl *ctl, json_t *j, const char *where,
		    char *msg, size_t len)
{
	const struct field f[] = {
		{ "rate_limiter", F_REFUSED, false, NULL },
	};
	int ret = fields_parse(j, f, 1, where, ctl->log, msg, len);

	if (ret)
		return ret;
	ctl->cfg.entropy = true;
	return 0;
}

/* Firecracker's vsock body: guest_cid and uds_path (its host-side model,
 * which cellvm's virtio-vsock follows); vsock_id, deprecated there, is
 * accepted and ignored. */
int api_put_vsock(struct api_ctl *ctl, json_t *j, const char *where,
		  char *msg, size_t len)
{
	const char *uds = NULL;
	uint64_t cid = 0;
	const struct field f[] = {
		{ "guest_cid", F_UINT, true, &cid },
		{ "uds_path", F_STR, true, &uds },
		{ "vsock_id", F_IGNORED, false, NULL },
	};
	int ret = fields_parse(j, f, 3, where, ctl->log, msg, len);

	if (ret)
		return ret;
	/* virtio 1.2 5.10.4: 0-2 are reserved, and so is 0xffffffff. */
	if (cid < 3 || cid > 0xfffffffeULL)
		return api_fault(msg, len, "%s.guest_cid: %llu: must be 3 to 4294967294",
				 where, (unsigned long long)cid);
	if (!uds[0])
		return api_fault(msg, len, "%s.uds_path: empty", where);
	if (set_str(&ctl->cfg.vsock_uds, uds))
		return api_fault(msg, len, "%s: out of memory", where);
	ctl->cfg.vsock_cid = cid;
	return 0;
}

static int log_level_of(const char *s)
{
	static const struct {
		const char *name;
		int level;
	} lv[] = {
		{ "Off", CELLVM_LOG_ERROR }, { "Error", CELLVM_LOG_ERROR },
		{ "Warning", CELLVM_LOG_WARN }, { "Info", CELLVM_LOG_INFO },
		{ "Debug", CELLVM_LOG_DEBUG }, { "Trace", CELLVM_LOG_DEBUG },
	};
	size_t i;

	for (i = 0; i < sizeof(lv) / sizeof(lv[0]); i++)
		if (strcasecmp(s, lv[i].name) == 0)
			return lv[i].level;
	return -1;
}

int api_put_logger(struct api_ctl *ctl, json_t *j, const char *where,
		   char *msg, size_t len)
{
	const char *path = NULL, *level = NULL, *module = NULL;
	bool show_level = false, show_origin = false;
	const struct field f[] = {
		{ "log_path", F_STR, false, &path },
		{ "level", F_STR, false, &level },
		{ "show_level", F_BOOL, false, &show_level },
		{ "show_log_origin", F_BOOL, false, &show_origin },
		{ "module", F_STR, false, &module },
	};
	int ret, lv = -1;

	ret = fields_parse(j, f, 5, where, ctl->log, msg, len);
	if (ret)
		return ret;
	if (level && (lv = log_level_of(level)) < 0)
		return api_fault(msg, len, "%s.level: '%.32s': expected Error, Warning, Info, Debug, Trace or Off",
			    where, level);
	if (module)
		return api_fault(msg, len, "%s.module: not supported by cellvm", where);
	if (set_str(&ctl->cfg.log_path, path))
		return api_fault(msg, len, "%s: out of memory", where);
	if (lv >= 0)
		ctl->cfg.log_level = lv;
	return 0;
}

int api_put_metrics(struct api_ctl *ctl, json_t *j, const char *where,
		    char *msg, size_t len)
{
	const char *path = NULL;
	const struct field f[] = {
		{ "metrics_path", F_STR, true, &path },
	};
	int ret, fd;

	ret = fields_parse(j, f, 1, where, ctl->log, msg, len);
	if (ret)
		return ret;
	if (ctl->metrics_fd >= 0)
		return api_fault(msg, len, "%s: the metrics file is set already",
			    where);
	/* Opened now, as Firecracker does: a FIFO or a file, appended to;
	 * O_NONBLOCK so that a FIFO nobody reads never blocks the loop. */
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return api_fault(msg, len, "%s.metrics_path: %.200s: %s", where, path,
			    strerror(errno));
	if (set_str(&ctl->cfg.metrics_path, path)) {
		close(fd);
		return api_fault(msg, len, "%s: out of memory", where);
	}
	ctl->metrics_fd = fd;
	return 0;
}

void api_vmcfg_clear(struct api_vmcfg *c)
{
	unsigned i;

	free(c->kernel);
	free(c->initrd);
	free(c->boot_args);
	for (i = 0; i < c->nr_drives; i++)
		free(c->drive[i].path);
	for (i = 0; i < c->nr_nets; i++)
		free(c->net[i].tap);
	free(c->vsock_uds);
	free(c->log_path);
	free(c->metrics_path);
	memset(c, 0, sizeof(*c));
	c->log_level = -1;
}

/* ---- the whole configuration as JSON (GET /vm/config) ---- */

static int obj_set_str(json_t *o, const char *k, const char *v)
{
	return v ? json_object_set_new(o, k, json_string(v)) : 0;
}

static json_t *drives_json(const struct api_vmcfg *c)
{
	json_t *a = json_array();
	unsigned i;

	for (i = 0; a && i < c->nr_drives; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:b, s:b}",
			"drive_id", c->drive[i].id, "path_on_host",
			c->drive[i].path, "is_root_device", c->drive[i].root,
			"is_read_only", c->drive[i].readonly));
	return a;
}

static json_t *nets_json(const struct api_vmcfg *c)
{
	json_t *a = json_array();
	unsigned i;

	for (i = 0; a && i < c->nr_nets; i++) {
		const struct api_net *n = &c->net[i];
		json_t *o = json_pack("{s:s, s:s}", "iface_id", n->id,
				      "host_dev_name", n->tap);
		char mac[18];

		if (o && n->has_mac) {
			snprintf(mac, sizeof(mac),
				 "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0],
				 n->mac[1], n->mac[2], n->mac[3], n->mac[4],
				 n->mac[5]);
			json_object_set_new(o, "guest_mac", json_string(mac));
		}
		json_array_append_new(a, o);
	}
	return a;
}

char *api_vmcfg_dump(const struct api_vmcfg *c)
{
	json_t *root = json_object(), *boot = json_object();
	char *text = NULL;

	if (!root || !boot)
		goto out;
	if (c->kernel) {
		obj_set_str(boot, "kernel_image_path", c->kernel);
		obj_set_str(boot, "initrd_path", c->initrd);
		obj_set_str(boot, "boot_args", c->boot_args);
		json_object_set(root, "boot-source", boot);
	}
	json_object_set_new(root, "machine-config", api_machine_config_json(c));
	json_object_set_new(root, "drives", drives_json(c));
	json_object_set_new(root, "network-interfaces", nets_json(c));
	if (c->entropy)
		json_object_set_new(root, "entropy", json_object());
	if (c->vsock_uds)
		json_object_set_new(root, "vsock", json_pack("{s:I, s:s}",
				    "guest_cid", (json_int_t)c->vsock_cid,
				    "uds_path", c->vsock_uds));
	if (c->metrics_path)
		json_object_set_new(root, "metrics", json_pack("{s:s}",
				    "metrics_path", c->metrics_path));
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
out:
	json_decref(boot);
	json_decref(root);
	return text;
}

/* ---- --config-file ---- */

typedef int (*put_fn)(struct api_ctl *, json_t *, const char *, char *,
		      size_t);
typedef int (*put_id_fn)(struct api_ctl *, const char *, json_t *,
			 const char *, char *, size_t);

static int load_list(struct api_ctl *ctl, json_t *a, const char *key,
		     put_id_fn fn, char *msg, size_t len)
{
	char where[64];
	size_t i;
	json_t *v;
	int ret;

	if (!json_is_array(a))
		return api_fault(msg, len, "%s: expected a JSON array", key);
	json_array_foreach(a, i, v) {
		snprintf(where, sizeof(where), "%s[%zu]", key, i);
		ret = fn(ctl, NULL, v, where, msg, len);
		if (ret)
			return ret;
	}
	return 0;
}

int api_config_load(struct api_ctl *ctl, const char *text, size_t len,
		    char *msg, size_t msg_len)
{
	static const struct {
		const char *key;
		put_fn fn;
	} single[] = {
		{ "boot-source", api_put_boot_source },
		{ "machine-config", api_put_machine_config },
		{ "entropy", api_put_entropy },
		{ "vsock", api_put_vsock },
		{ "logger", api_put_logger },
		{ "metrics", api_put_metrics },
	};
	json_error_t jerr;
	const char *key;
	json_t *root, *v;
	size_t i;
	int ret = 0;

	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return api_fault(msg, msg_len, "not JSON: line %d column %d: %s",
			    jerr.line, jerr.column, jerr.text);
	if (!json_is_object(root)) {
		json_decref(root);
		return api_fault(msg, msg_len, "expected a JSON object");
	}
	json_object_foreach(root, key, v) {
		for (i = 0; i < sizeof(single) / sizeof(single[0]); i++)
			if (strcmp(key, single[i].key) == 0)
				break;
		if (i < sizeof(single) / sizeof(single[0]))
			ret = single[i].fn(ctl, v, key, msg, msg_len);
		else if (strcmp(key, "drives") == 0)
			ret = load_list(ctl, v, key, api_put_drive, msg, msg_len);
		else if (strcmp(key, "network-interfaces") == 0)
			ret = load_list(ctl, v, key, api_put_net, msg, msg_len);
		else
			ret = api_fault(msg, msg_len, "%.64s: unknown or unsupported section", key);
		if (ret)
			break;
	}
	if (!ret && !ctl->cfg.kernel)
		ret = api_fault(msg, msg_len, "boot-source: missing (required)");
	json_decref(root);
	return ret;
}

/* ---- into and out of struct cellvm_config ---- */

static int cmdline_build(const struct api_vmcfg *c, char **out)
{
	const struct api_drive *root = NULL;
	unsigned i, root_idx = 0;
	int n;

	for (i = 0; i < c->nr_drives; i++)
		if (c->drive[i].root)
			root = &c->drive[i];
	*out = NULL;
	if (!root)
		return c->boot_args && !(*out = strdup(c->boot_args)) ? -ENOMEM : 0;
	/* The root drive is the first disk (vda), as Firecracker does. */
	n = asprintf(out, "%s%sroot=/dev/vd%c %s", c->boot_args ? c->boot_args : "",
		     c->boot_args ? " " : "", 'a' + root_idx,
		     root->readonly ? "ro" : "rw");
	return n < 0 ? -ENOMEM : 0;
}

int api_vmcfg_to_config(const struct api_vmcfg *c, struct cellvm_config *cfg,
			struct cellvm_dev_cfg **devs, unsigned *nr_devs,
			char **cmdline, char *msg, size_t msg_len)
{
	struct cellvm_dev_cfg *d;
	unsigned i, n = 0, pass;

	if (!c->kernel)
		return api_fault(msg, msg_len, "boot-source: not configured (PUT /boot-source first)");
	d = calloc(c->nr_drives + c->nr_nets + 2, sizeof(*d));
	if (!d || cmdline_build(c, cmdline)) {
		free(d);
		return api_fault(msg, msg_len, "out of memory");
	}
	cfg->kernel.path = c->kernel;
	cfg->initrd.path = c->initrd;
	cfg->cmdline = *cmdline;
	if (c->vcpus)
		cfg->ncpus = c->vcpus;
	if (c->mem_mib)
		cfg->mem_size = (uint64_t)c->mem_mib << 20;
	if (c->log_level >= 0)
		cfg->log.level = c->log_level;
	/* The root drive first, so that it is vda. */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < c->nr_drives; i++) {
			if (c->drive[i].root != (pass == 0))
				continue;
			d[n].type = CELLVM_DEV_VIRTIO_BLK;
			d[n].blk.path = c->drive[i].path;
			d[n++].blk.readonly = c->drive[i].readonly;
		}
	for (i = 0; i < c->nr_nets; i++) {
		d[n].type = CELLVM_DEV_VIRTIO_NET;
		d[n].net.tap = c->net[i].tap;
		d[n].net.has_mac = c->net[i].has_mac;
		memcpy(d[n++].net.mac, c->net[i].mac, 6);
	}
	if (c->entropy)
		d[n++].type = CELLVM_DEV_VIRTIO_RNG;
	if (c->vsock_uds) {
		/* No fd: each VM binds the socket (a stale one is replaced). */
		d[n].type = CELLVM_DEV_VIRTIO_VSOCK;
		d[n].vsock.guest_cid = c->vsock_cid;
		d[n++].vsock.uds_path = c->vsock_uds;
	}
	cfg->devs = d;
	cfg->nr_devs = n;
	*devs = d;
	*nr_devs = n;
	return 0;
}

int api_vmcfg_from_config(struct api_vmcfg *c, const struct cellvm_config *cfg)
{
	unsigned i;

	api_vmcfg_clear(c);
	if (set_str(&c->kernel, cfg->kernel.path ? cfg->kernel.path : "(embedded)") ||
	    set_str(&c->initrd, cfg->initrd.path) ||
	    set_str(&c->boot_args, cfg->cmdline))
		return -ENOMEM;
	c->vcpus = cfg->ncpus;
	c->mem_mib = (unsigned)(cfg->mem_size >> 20);
	for (i = 0; i < cfg->nr_devs; i++) {
		const struct cellvm_dev_cfg *d = &cfg->devs[i];

		if (d->type == CELLVM_DEV_VIRTIO_RNG)
			c->entropy = true;
		if (d->type == CELLVM_DEV_VIRTIO_VSOCK) {
			c->vsock_cid = d->vsock.guest_cid;
			if (set_str(&c->vsock_uds, d->vsock.uds_path))
				return -ENOMEM;
		}
		if (d->type == CELLVM_DEV_VIRTIO_BLK && c->nr_drives < API_MAX_DRIVES) {
			struct api_drive *a = &c->drive[c->nr_drives++];

			snprintf(a->id, sizeof(a->id), "disk%u", c->nr_drives - 1);
			a->readonly = d->blk.readonly;
			if (set_str(&a->path, d->blk.path))
				return -ENOMEM;
		}
		if (d->type == CELLVM_DEV_VIRTIO_NET && c->nr_nets < API_MAX_NETS) {
			struct api_net *a = &c->net[c->nr_nets++];

			snprintf(a->id, sizeof(a->id), "net%u", c->nr_nets - 1);
			a->has_mac = d->net.has_mac;
			memcpy(a->mac, d->net.mac, 6);
			if (set_str(&a->tap, d->net.tap))
				return -ENOMEM;
		}
	}
	return 0;
}
