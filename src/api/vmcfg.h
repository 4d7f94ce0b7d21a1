/* SPDX-License-Identifier: MIT */
/*
 * The pre-boot configuration calls, shared by the HTTP handlers
 * (router.c) and --config-file (vmcfg.c). Each takes the parsed JSON
 * body, the JSON path to name in messages ("machine-config",
 * "drives[1]"), and fills msg on error (-EINVAL). Nothing is changed on
 * error.
 */
#ifndef CELLVM_API_VMCFG_H
#define CELLVM_API_VMCFG_H

#include <jansson.h>

#include "api/api.h"

/* A request's fault message: format it into msg[len]; -EINVAL. */
int api_fault(char *msg, size_t len, const char *fmt, ...) CELLVM_PRINTF(3, 4);

int api_put_boot_source(struct api_ctl *ctl, json_t *j, const char *where,
			char *msg, size_t len);
int api_put_machine_config(struct api_ctl *ctl, json_t *j, const char *where,
			   char *msg, size_t len);
/* path_id: the {id} of the URL, or NULL (config file). */
int api_put_drive(struct api_ctl *ctl, const char *path_id, json_t *j,
		  const char *where, char *msg, size_t len);
int api_patch_drive(struct api_ctl *ctl, const char *path_id, json_t *j,
		    const char *where, char *msg, size_t len);
int api_put_net(struct api_ctl *ctl, const char *path_id, json_t *j,
		const char *where, char *msg, size_t len);
int api_put_entropy(struct api_ctl *ctl, json_t *j, const char *where,
		    char *msg, size_t len);
int api_put_vsock(struct api_ctl *ctl, json_t *j, const char *where,
		  char *msg, size_t len);
int api_put_logger(struct api_ctl *ctl, json_t *j, const char *where,
		   char *msg, size_t len);
int api_put_metrics(struct api_ctl *ctl, json_t *j, const char *where,
		    char *msg, size_t len);
/* GET /machine-config's object (a new reference). */
json_t *api_machine_config_json(const struct api_vmcfg *c);

#endif
