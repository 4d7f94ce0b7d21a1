// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for patching a user DTB (arm64_fdt_patch in
 * src/arch/arm64/fdt.c). The first byte picks how the blob is made and
 * what the patch does; the rest is the blob or its changes:
 *
 *   byte 0, bits 0-1: 0 the input is the blob as is
 *                     1 a generated DTB with the input XORed over it
 *                       from offset byte 1 * 4 (valid-looking structure)
 *                     2 the input with a sane header written over it
 *                     3 a generated DTB with the input copied over its
 *                       structure block (offset byte 1 * 4)
 *           bit 2:    with an initrd
 *           bit 3:    with a command line
 *           bit 4:    memory above 4 GiB (else: with boot seeds)
 *           bits 5-7: extra room after the blob, in 512-byte steps
 *
 * The blob sits in an exact-size heap buffer. A rejected blob must come
 * with a CELLVM_E_IMAGE message; an accepted one must leave a blob that
 * libfdt's full check passes, within the buffer, with one memory node.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "arch/arm64/arm64.h"
#include "arch/arm64/memmap.h"

#define CHECK(cond)                                                       \
	do {                                                              \
		if (!(cond))                                              \
			__builtin_trap();                                 \
	} while (0)

#define MODE_RAW 0
#define MODE_XOR 1
#define MODE_HEADER 2
#define MODE_STRUCT 3
#define GEN_SIZE 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A small real DTB to mutate: 2 CPUs, GICv3, chosen with an initrd. */
static size_t base_dtb(uint8_t *buf)
{
	static const uint64_t mpidr[] = { 0, 1 };
	const struct arm64_fdt_cfg cfg = {
		.ncpus = 2, .mpidr = mpidr, .mem_base = CELLVM_RAM_BASE,
		.mem_size = CELLVM_RAM_DEFAULT_SIZE,
		.cmdline = "console=ttyAMA0",
		.initrd_start = 0x48000000, .initrd_end = 0x48100000,
		.gic = ARM64_GIC_V3, .stdout_path = "/pl011@9000000",
	};

	if (arm64_fdt_build(&cfg, buf, GEN_SIZE, NULL))
		__builtin_trap();
	return fdt_totalsize(buf);
}

/* Fill buf (blob_len bytes used) from the input by mode. */
static size_t make_blob(uint8_t *buf, const uint8_t *data, size_t size)
{
	unsigned mode = data[0] & 3;
	size_t off = size > 1 ? (size_t)data[1] * 4 : 0;
	size_t len, i;

	if (mode == MODE_RAW || mode == MODE_HEADER) {
		memcpy(buf, data + 1, size - 1);
		len = size - 1;
		if (mode == MODE_HEADER && len >= sizeof(struct fdt_header)) {
			fdt_set_magic(buf, FDT_MAGIC);
			fdt_set_totalsize(buf, (uint32_t)len);
			fdt_set_version(buf, 17);
			fdt_set_last_comp_version(buf, 16);
		}
		return len;
	}
	len = base_dtb(buf);
	if (mode == MODE_STRUCT)
		off += fdt_off_dt_struct(buf);
	for (i = 2; i < size && off < len; i++, off++)
		buf[off] = mode == MODE_XOR ? buf[off] ^ data[i] : data[i];
	return len;
}

static int is_memory(const void *fdt, int node)
{
	int len;
	const char *type = fdt_getprop(fdt, node, "device_type", &len);

	return type && len == sizeof("memory") &&
	       !memcmp(type, "memory", sizeof("memory"));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t seed[ARM64_RNG_SEED_SIZE] = { 1, 2, 3 };
	struct arm64_fdt_cfg cfg = { .gic = ARM64_GIC_V3 };
	struct cellvm_err err = { 0 };
	size_t len, bufsize;
	uint8_t *scratch, *buf;
	int ret, off, nmem = 0;

	if (size < 1 || size > ARM64_DTB_MAX_SIZE)
		return 0;
	scratch = calloc(1, size > GEN_SIZE ? size : GEN_SIZE);
	if (!scratch)
		return 0;
	len = make_blob(scratch, data, size);
	bufsize = len + (size_t)(data[0] >> 5) * 512;
	buf = calloc(1, bufsize ? bufsize : 1);
	if (!buf) {
		free(scratch);
		return 0;
	}
	memcpy(buf, scratch, len);
	free(scratch);

	cfg.mem_base = data[0] & 0x10 ? 0x100000000ULL : CELLVM_RAM_BASE;
	cfg.mem_size = CELLVM_RAM_DEFAULT_SIZE;
	cfg.cmdline = data[0] & 0x08 ? "console=ttyAMA0 rdinit=/init" : NULL;
	if (data[0] & 0x04) {
		cfg.initrd_start = 0x4f000000;
		cfg.initrd_end = 0x4f800000;
	}
	if (!(data[0] & 0x10)) {
		cfg.rng_seed = seed;
		cfg.rng_seed_len = sizeof(seed);
		cfg.kaslr_seed = 0x5eed;
	}
	ret = arm64_fdt_patch(buf, bufsize, &cfg, &err);
	if (ret) {
		CHECK(ret < 0 && err.cat == CELLVM_E_IMAGE && err.msg[0]);
	} else {
		CHECK(fdt_check_full(buf, bufsize) == 0);
		CHECK(fdt_totalsize(buf) <= bufsize);
		CHECK(fdt_path_offset(buf, "/chosen") >= 0);
		fdt_for_each_subnode(off, buf, 0)
			nmem += is_memory(buf, off);
		CHECK(nmem == 1);
	}
	free(buf);
	return 0;
}
