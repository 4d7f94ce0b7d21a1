/* SPDX-License-Identifier: MIT */
/* The command's side of the control plane: --api-sock, --config-file. */
#ifndef CELLVM_CLI_API_CLI_H
#define CELLVM_CLI_API_CLI_H

#include "api/api.h"

struct cli_api {
	const char *sock; /* --api-sock PATH */
	const char *config_file; /* --config-file FILE */
	struct api_ctl ctl;
	struct api_server *srv;
	struct cellvm_config *cfg; /* the command's, filled on InstanceStart */
	struct cellvm_dev_cfg *devs; /* from the API's configuration */
	unsigned nr_devs;
	char *cmdline;
	struct cellvm_vm *first; /* created by InstanceStart, not yet run */
	/* The device list the command's VMs are created from (cfg->devs,
	 * writable): PATCH /drives changes a disk's entry there. */
	struct cellvm_dev_cfg *live_devs;
	unsigned nr_live_devs;
};

/* Both return 0 or a CLI status with one line printed. */
/* --config-file: read FILE and set cfg from it (devices in a->devs). */
int cli_api_config_file(struct cli_api *a, struct cellvm_config *cfg);
/* --api-sock: listen, and serve on cfg's VMs (control_fd). */
int cli_api_listen(struct cli_api *a, struct cellvm_config *cfg,
		   const char *version);
/* Without image options: serve until InstanceStart created a->first
 * (0), or a stop or power-off request came (CLI_QUIT). */
int cli_api_wait_start(struct cli_api *a, int stop_fd, int poweroff_fd);
/* Close the socket (and remove it) and free the configuration. */
void cli_api_close(struct cli_api *a);

#endif
