// SPDX-License-Identifier: MIT
/*
 * The command's side of the control plane (docs/api.md): --config-file
 * read into the command's configuration, --api-sock's server set up
 * before any jail, and the wait for InstanceStart when no image was given
 * on the command line. The server (src/api) is served from here while
 * waiting, then by each VM's event loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/api_cli.h"
#include "cli/cli.h"

/* A configuration file is small; more than this is not one. */
#define CONFIG_FILE_MAX (1 << 20)

static int read_file(const char *path, char **text, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	ssize_t r;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	buf = malloc(CONFIG_FILE_MAX + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while ((r = read(fd, buf + n, CONFIG_FILE_MAX + 1 - n)) > 0)
		n += (size_t)r;
	e = r < 0 ? errno : 0;
	close(fd);
	if (e || n > CONFIG_FILE_MAX) {
		free(buf);
		return e ? -e : -EFBIG;
	}
	*text = buf;
	*len = n;
	return 0;
}

/* The API's configuration into the command's (strings stay a->ctl's). */
static int apply(struct cli_api *a, struct cellvm_config *cfg, char *msg,
		 size_t len)
{
	free(a->devs);
	free(a->cmdline);
	a->devs = NULL;
	a->cmdline = NULL;
	return api_vmcfg_to_config(&a->ctl.cfg, cfg, &a->devs, &a->nr_devs,
				   &a->cmdline, msg, len);
}

int cli_api_config_file(struct cli_api *a, struct cellvm_config *cfg)
{
	char msg[512];
	char *text = NULL;
	size_t len = 0;
	int ret;

	a->ctl.log = &cfg->log;
	ret = read_file(a->config_file, &text, &len);
	if (ret) {
		fprintf(stderr, "cellvm: --config-file %s: %s\n", a->config_file,
			ret == -EFBIG ? "larger than 1 MiB" : strerror(-ret));
		return CLI_USAGE;
	}
	ret = api_config_load(&a->ctl, text, len, msg, sizeof(msg));
	free(text);
	if (!ret)
		ret = apply(a, cfg, msg, sizeof(msg));
	if (ret) {
		fprintf(stderr, "cellvm: --config-file %s: %s\n", a->config_file,
			msg);
		return CLI_USAGE;
	}
	return 0;
}

/* InstanceStart: the VM is created here and run by main's loop. */
static int api_start(void *ctx, struct api_ctl *ctl, char *msg, size_t len)
{
	struct cli_api *a = ctx;
	struct cellvm_err err = { 0 };
	int ret;

	ret = apply(a, a->cfg, msg, len);
	if (ret)
		return ret;
	a->live_devs = a->devs;
	a->nr_live_devs = a->nr_devs;
	ret = cellvm_vm_create(a->cfg, &a->first, &err);
	if (ret) {
		snprintf(msg, len, "InstanceStart: %s%s%s",
			 err.field ? err.field : "", err.field ? ": " : "",
			 err.msg[0] ? err.msg : strerror(-ret));
		a->first = NULL;
	}
	return ret;
}

/*
 * PATCH /drives: the next VM (after a guest reboot) takes the new file
 * too. A disk the command opened (has_fd) gets a new fd, opened as the
 * first was; the old one is closed.
 */
static int api_disk_changed(void *ctx, unsigned index, const char *path,
			    char *msg, size_t len)
{
	struct cli_api *a = ctx;
	unsigned i, n = 0;

	for (i = 0; i < a->nr_live_devs; i++) {
		struct cellvm_disk_cfg *d = &a->live_devs[i].blk;
		int fd;

		if (a->live_devs[i].type != CELLVM_DEV_VIRTIO_BLK || n++ != index)
			continue;
		d->path = path;
		if (!d->has_fd)
			return 0;
		fd = open(path, (d->readonly ? O_RDONLY : O_RDWR) | O_NONBLOCK |
					O_CLOEXEC);
		if (fd < 0) {
			snprintf(msg, len, "disk %s: %s (the running VM has it; a reboot would not)",
				 path, strerror(errno));
			return -errno;
		}
		close(d->fd);
		d->fd = fd;
		return 0;
	}
	return 0;
}

int cli_api_listen(struct cli_api *a, struct cellvm_config *cfg,
		   const char *version)
{
	char msg[512];
	int ret;

	a->cfg = cfg;
	a->ctl.log = &cfg->log;
	a->ctl.version = version;
	a->ctl.start = api_start;
	a->ctl.start_ctx = a;
	a->ctl.disk_changed = api_disk_changed;
	a->ctl.disk_ctx = a;
	ret = api_server_create(a->sock, &a->ctl, &a->srv, msg, sizeof(msg));
	if (ret) {
		fprintf(stderr, "cellvm: %s\n", msg);
		return CLI_USAGE;
	}
	cfg->control_fd = api_server_fd(a->srv);
	cfg->control_ready = api_server_ready;
	cfg->control_ctx = a->srv;
	return 0;
}

int cli_api_wait_start(struct cli_api *a, int stop_fd, int poweroff_fd)
{
	/* Before InstanceStart there is no guest to power off: a request
	 * to (stop_fd) or a press of the power button (poweroff_fd) alike
	 * end the wait, as a stop. */
	struct pollfd p[3] = {
		{ .fd = api_server_fd(a->srv), .events = POLLIN },
		{ .fd = stop_fd, .events = POLLIN },
		{ .fd = poweroff_fd, .events = POLLIN },
	};

	while (!a->first) {
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "cellvm: --api-sock: %s\n", strerror(errno));
			return CLI_RUNTIME;
		}
		if (p[1].revents || p[2].revents)
			return CLI_QUIT;
		if (p[0].revents)
			api_server_ready(a->srv);
	}
	return 0;
}

void cli_api_close(struct cli_api *a)
{
	api_server_destroy(a->srv);
	a->srv = NULL;
	api_ctl_destroy(&a->ctl);
	free(a->devs);
	free(a->cmdline);
	a->devs = NULL;
	a->cmdline = NULL;
}
