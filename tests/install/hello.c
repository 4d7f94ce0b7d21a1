// SPDX-License-Identifier: MIT
/*
 * A program built against an installed libcellvm with
 * `pkg-config --cflags --libs libcellvm` (tools/check-install): it boots a
 * minimal arm64 Image header on the scripted test backend, whose vCPU
 * powers off at the end of its (empty) script, and prints how the run
 * ended. Uses the public headers, and the test backend's table.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cellvm/cellvm.h>
#include <cellvm/hv.h>

/* The scripted test backend: internal (src/hv/test.h), exported only by
 * the host test library this program is built against. */
extern const struct cellvm_hv_ops cellvm_hv_test_ops;

#define KERNEL_SIZE (1u << 20)

int main(void)
{
	/* An arm64 Image header (Linux Documentation/arch/arm64/booting.rst):
	 * image_size at 16, flags at 24, magic "ARM\x64" at 56. */
	uint64_t image_size = KERNEL_SIZE, flags = 0xa;
	uint32_t magic = 0x644d5241;
	uint8_t *k = calloc(1, KERNEL_SIZE);
	struct cellvm_config cfg;
	struct cellvm_err err = { 0 };
	struct cellvm_vm *vm;
	enum cellvm_stop why = CELLVM_STOP_NONE;

	if (!k)
		return 1;
	memcpy(k + 16, &image_size, 8);
	memcpy(k + 24, &flags, 8);
	memcpy(k + 56, &magic, 4);
	cellvm_config_init(&cfg);
	cfg.hv = &cellvm_hv_test_ops;
	cfg.mem_size = 64ULL << 20;
	cfg.kernel.data = k;
	cfg.kernel.size = KERNEL_SIZE;
	if (cellvm_vm_create(&cfg, &vm, &err)) {
		fprintf(stderr, "hello: %s\n", err.msg);
		return 1;
	}
	if (cellvm_vm_run(vm, &why, &err))
		fprintf(stderr, "hello: %s\n", err.msg);
	cellvm_vm_destroy(vm);
	free(k);
	printf("hello: the guest %s\n", why == CELLVM_STOP_POWEROFF ? "powered off" : "did not power off");
	return why == CELLVM_STOP_POWEROFF ? 0 : 1;
}
