/* SPDX-License-Identifier: MIT */
/*
 * arm64 boot protocol, arch-internal: the kernel Image header, where the
 * kernel, initrd and DTB go in guest RAM, and the device tree we hand the
 * kernel (generated, or the user's --dtb patched).
 *
 * Reference: Linux Documentation/arch/arm64/booting.rst ("booting.rst"
 * below), section 2 "Setup the device tree" and section 4 "Call the kernel
 * image"; the Devicetree Specification v0.4 and the Linux DT bindings for
 * the nodes.
 */
#ifndef CELLVM_ARCH_ARM64_ARM64_H
#define CELLVM_ARCH_ARM64_ARM64_H

#include <stdbool.h>
#include <stdint.h>

#include "core/bus.h"
#include "cellvm/err.h"

#define ARM64_SZ_4K 0x1000ULL
#define ARM64_SZ_2M 0x200000ULL

/* booting.rst 4: the 64-byte header at the start of the Image. */
#define ARM64_IMAGE_HEADER_SIZE 64
#define ARM64_IMAGE_MAGIC 0x644d5241U /* "ARM\x64", little-endian */
/* booting.rst 4: "Where image_size is zero, text_offset can be assumed to
 * be 0x80000" (kernels before v3.17). */
#define ARM64_IMAGE_LEGACY_TEXT_OFFSET 0x80000ULL

/* booting.rst 2: the DTB "must not exceed 2 megabytes in size". */
#define ARM64_DTB_MAX_SIZE ARM64_SZ_2M
/* Room the layout keeps for a generated DTB: 123 CPUs and 64 devices take
 * well under a quarter of it. */
#define ARM64_FDT_GEN_ROOM 0x10000ULL
/* Growth allowed when patching a user DTB: /chosen with a bootargs of up
 * to arm64's COMMAND_LINE_SIZE (2048), the initrd and memory properties. */
#define ARM64_FDT_PATCH_ROOM 0x2000ULL

/* What arm64_image_parse() learnt from the header. */
struct arm64_image_info {
	uint64_t text_offset; /* load offset from a 2 MiB aligned base */
	/* Bytes from the image start the kernel may use (header image_size;
	 * for a legacy kernel the file size rounded up to 4 KiB). */
	uint64_t image_size;
	uint64_t flags; /* raw header flags; 0 for a legacy kernel */
	unsigned page_size; /* 4096, 16384, 65536; 0: unspecified */
	bool phys_anywhere; /* flags bit 3: base need not be near DRAM start */
	bool legacy; /* image_size 0: pre-v3.17 kernel */
};

/*
 * Validate the Image header at the start of buf (len bytes: the whole
 * file, or at least its first 64 bytes). 0, or -EINVAL with err set
 * (CELLVM_E_IMAGE, "kernel: ..."). out is written only on success.
 */
int arm64_image_parse(const void *buf, size_t len,
		      struct arm64_image_info *out,
		      struct cellvm_err *err) CELLVM_MUST_CHECK;

struct arm64_layout_req {
	uint64_t ram_base;
	uint64_t ram_size;
	struct arm64_image_info image;
	uint64_t kernel_file_size;
	uint64_t initrd_size; /* 0: no initrd */
	/* Size of the user's DTB; 0: a generated DTB
	 * (ARM64_FDT_GEN_ROOM is kept for it). */
	uint64_t dtb_size;
};

/* Guest-physical addresses of everything the boot loader places. */
struct arm64_layout {
	uint64_t kernel_load; /* the Image's first byte */
	uint64_t entry; /* = kernel_load (booting.rst 4: "called there") */
	uint64_t kernel_end; /* kernel_load + max(image_size, file size) */
	uint64_t initrd_start; /* page-aligned; 0 when no initrd */
	uint64_t initrd_size;
	uint64_t dtb_addr; /* page-aligned, inside one 2 MiB block */
	uint64_t dtb_max; /* room at dtb_addr, <= 2 MiB: the DTB buffer size */
};

/*
 * Place kernel, initrd and DTB in [ram_base, ram_base + ram_size):
 * the kernel lowest (2 MiB aligned base + text_offset), the DTB at the top
 * without crossing a 2 MiB boundary, the initrd right below the DTB (so
 * the memory after the kernel stays free, booting.rst 4). 0, or with err
 * set (CELLVM_E_IMAGE) -ENOSPC when something does not fit, -E2BIG for a
 * DTB over 2 MiB, -EINVAL for RAM that is empty or wraps. out is zeroed
 * first.
 */
int arm64_layout_plan(const struct arm64_layout_req *req,
		      struct arm64_layout *out,
		      struct cellvm_err *err) CELLVM_MUST_CHECK;

enum arm64_gic_kind {
	ARM64_GIC_V3, /* distributor + one redistributor region */
	ARM64_GIC_V2, /* distributor + CPU interface, at most 8 CPUs */
};

struct arm64_fdt_cfg {
	unsigned ncpus;
	/* ncpus MPIDR_EL1 values as the hypervisor reports them; the cpu
	 * nodes' reg is Aff3..Aff0 (MPIDR & 0xff00ffffff). */
	const uint64_t *mpidr;
	uint64_t mem_base;
	uint64_t mem_size;
	const char *cmdline; /* NULL: no bootargs (patch: keep the user's) */
	uint64_t initrd_start;
	uint64_t initrd_end; /* initrd_end <= initrd_start (0, 0): none */
	enum arm64_gic_kind gic;
	bool pmu; /* a PMUv3 node, overflow interrupt CELLVM_PPI_PMU */
	/* Devices with an fdt_node callback get a node; NULL: none. */
	const struct cellvm_bus *bus;
	/* /chosen stdout-path, the console's node path; NULL: none.
	 * Generated DTBs only. */
	const char *stdout_path;
	/* The user DTB's name for patch errors ("DTB <name>: ..."); NULL:
	 * messages start with just "DTB". */
	const char *dtb_name;
	/*
	 * /chosen rng-seed (rng_seed_len bytes; 0: none) and kaslr-seed (0:
	 * none), for generated and patched DTBs alike: Linux feeds the first
	 * to its RNG at boot (drivers/of/fdt.c, early_init_dt_scan_chosen)
	 * and arm64 randomizes its virtual placement from the second
	 * (arch/arm64/kernel/pi/kaslr_early.c); both then wipe them.
	 */
	const uint8_t *rng_seed;
	size_t rng_seed_len;
	uint64_t kaslr_seed;
};

/* Bytes of /chosen rng-seed cellvm gives (as QEMU's virt: 256 bits). */
#define ARM64_RNG_SEED_SIZE 32

/*
 * Write a device tree for cfg into buf (size bytes, at most 2 MiB used).
 * On success buf holds a complete, packed blob (fdt_totalsize <= size).
 * -ENOSPC: "generated DTB exceeds N bytes" (CELLVM_E_IMAGE); -EINVAL for
 * a device whose node fails (CELLVM_E_IMAGE), a CPU count the GIC cannot
 * take or no memory (CELLVM_E_USAGE), MPIDRs that repeat
 * (CELLVM_E_INTERNAL).
 */
int arm64_fdt_build(const struct arm64_fdt_cfg *cfg, void *buf, size_t size,
		    struct cellvm_err *err) CELLVM_MUST_CHECK;

/*
 * Patch a user DTB that starts at buf (bufsize bytes of room, the blob's
 * totalsize at most that): set /chosen bootargs and linux,initrd-start/end
 * (removed without an initrd) and the seeds cfg has (others left as they
 * are), make the first memory node describe
 * mem_base/mem_size and delete the other memory nodes (a memory node is
 * created when there is none), then pack the blob. cpus, GIC and devices
 * are the user's business and left alone; so is stdout-path. Errors:
 * CELLVM_E_IMAGE, messages "DTB <dtb_name>: malformed (libfdt:
 * FDT_ERR_BADMAGIC)" (just "DTB malformed ..." without a name); -EINVAL,
 * -ENOSPC when it outgrows bufsize, -E2BIG for a blob over 2 MiB. The
 * result passes fdt_check_full(), or the blob is refused.
 */
int arm64_fdt_patch(void *buf, size_t bufsize,
		    const struct arm64_fdt_cfg *cfg,
		    struct cellvm_err *err) CELLVM_MUST_CHECK;

/* ---- the board (machine.c, devices.c) ---- */
struct cellvm_vm;

/* Create the configured virtio devices in the virtio-mmio slots. */
int arm64_virtio_setup(struct cellvm_vm *vm,
		       struct cellvm_err *err) CELLVM_MUST_CHECK;

/* ---- CPU features (cpu_features.c) ---- */

/* A list of CPU features: "none", "host" (every CELLVM_CPU_* flag, *host
 * set: as many as the hypervisor offers), or a comma-separated list of
 * "pmu", "sve" and "pauth", each at most once. -EINVAL when malformed;
 * the outputs are written only on success. */
int arm64_parse_cpu_features(const char *s, unsigned *features,
			     bool *host) CELLVM_MUST_CHECK;

#endif
