// SPDX-License-Identifier: MIT
/*
 * The generated device tree, read back with libfdt node by node, for
 * several CPU counts and both GICs; patching of user DTBs built here with
 * libfdt's sequential-write API; the errors of both.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <libfdt.h>

#include "arch/arm64/arm64.h"
#include "arch/arm64/memmap.h"

#define BUF_SIZE ARM64_FDT_GEN_ROOM
#define MAX_CPUS 123
#define FAKE_BASE 0x0a000000ULL
#define FAKE2_BASE 0x0a000200ULL
#define MUTE_BASE 0x0b000000ULL
#define KASLR_SEED 0x0123456789abcdefULL
#define OLD_KASLR_SEED 7ULL

/* What the VMM would have drawn from getrandom(). */
static const uint8_t rng_seed[ARM64_RNG_SEED_SIZE] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa,
	0xbb, 0xcc, 0xdd, 0xee, 0xff, 0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5,
	0x96, 0x87, 0x78, 0x69, 0x5a, 0x4b, 0x3c, 0x2d, 0x1e, 0x0f,
};

/* ---- reading properties back ------------------------------------------ */

static int node(const void *fdt, const char *path)
{
	int off = fdt_path_offset(fdt, path);

	if (off < 0)
		fail_msg("no node %s (%s)", path, fdt_strerror(off));
	return off;
}

static const void *get(const void *fdt, const char *path, const char *name,
		       int *len)
{
	const void *p = fdt_getprop(fdt, node(fdt, path), name, len);

	if (!p)
		fail_msg("%s: no property %s", path, name);
	return p;
}

static bool has(const void *fdt, const char *path, const char *name)
{
	return fdt_getprop(fdt, node(fdt, path), name, NULL) != NULL;
}

static void want_bytes(const void *fdt, const char *path, const char *name,
		       const void *val, int len)
{
	int got;
	const void *p = get(fdt, path, name, &got);

	assert_int_equal(got, len);
	assert_memory_equal(p, val, len);
}

static void want_str(const void *fdt, const char *path, const char *name,
		     const char *s)
{
	want_bytes(fdt, path, name, s, (int)strlen(s) + 1);
}

/* Expected cells, each a host-order uint32_t. */
static void want_cells(const void *fdt, const char *path, const char *name,
		       const uint32_t *v, int n)
{
	fdt32_t cells[16];
	int i;

	assert_true(n <= 16);
	for (i = 0; i < n; i++)
		cells[i] = cpu_to_fdt32(v[i]);
	want_bytes(fdt, path, name, cells, n * 4);
}

static void want_u32(const void *fdt, const char *path, const char *name,
		     uint32_t v)
{
	want_cells(fdt, path, name, &v, 1);
}

static void want_u64s(const void *fdt, const char *path, const char *name,
		      const uint64_t *v, int n)
{
	uint32_t cells[16];
	int i;

	for (i = 0; i < n; i++) {
		cells[2 * i] = (uint32_t)(v[i] >> 32);
		cells[2 * i + 1] = (uint32_t)v[i];
	}
	want_cells(fdt, path, name, cells, 2 * n);
}

/* ---- a bus with fake devices ------------------------------------------ */

struct fake_dev {
	unsigned line;
	bool edge;
	int fail; /* returned instead of writing a node */
	uint32_t seen_intc, seen_clk;
};

static int fake_fdt_node(void *opaque, const struct cellvm_fdt_ctx *ctx,
			 uint64_t base, uint64_t size)
{
	struct fake_dev *d = opaque;
	fdt64_t reg[2] = { cpu_to_fdt64(base), cpu_to_fdt64(size) };
	char name[32];
	int ret;

	d->seen_intc = ctx->intc_phandle;
	d->seen_clk = ctx->apb_clk_phandle;
	if (d->fail)
		return d->fail;
	snprintf(name, sizeof(name), "fake@%llx", (unsigned long long)base);
	ret = fdt_begin_node(ctx->fdt, name);
	ret = ret ?: fdt_property_string(ctx->fdt, "compatible", "cellvm,fake");
	ret = ret ?: fdt_property(ctx->fdt, "reg", reg, sizeof(reg));
	ret = ret ?: ctx->irq_prop(ctx, d->line, d->edge);
	ret = ret ?: fdt_property_u32(ctx->fdt, "clocks", ctx->apb_clk_phandle);
	return ret ?: fdt_end_node(ctx->fdt);
}

static const struct cellvm_mmio_ops fake_ops = { .fdt_node = fake_fdt_node };
static const struct cellvm_mmio_ops mute_ops = { 0 };

struct rig {
	struct cellvm_bus bus;
	struct fake_dev fake, fake2;
	uint64_t mpidr[MAX_CPUS + 1];
	struct arm64_fdt_cfg cfg;
};

/* KVM's default MPIDRs (Aff0 = id % 16, Aff1 = id / 16) with the RES1
 * bit 31 and MT bit 24 set, which reg must not carry. With aff3, each
 * CPU also gets Aff3 = id. */
static void rig_init(struct rig *r, unsigned ncpus, enum arm64_gic_kind gic,
		     bool aff3)
{
	unsigned i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < ncpus; i++)
		r->mpidr[i] = 0x81000000ULL | (i & 0xf) | ((i >> 4) << 8) |
			      (aff3 ? (uint64_t)i << 32 : 0);
	r->fake = (struct fake_dev){ .line = 32 + 16 };
	r->fake2 = (struct fake_dev){ .line = 32 + 17, .edge = true };
	assert_int_equal(cellvm_bus_add(&r->bus, "fake", FAKE_BASE, 0x200,
					&fake_ops, &r->fake), 0);
	assert_int_equal(cellvm_bus_add(&r->bus, "fake2", FAKE2_BASE, 0x200,
					&fake_ops, &r->fake2), 0);
	assert_int_equal(cellvm_bus_add(&r->bus, "mute", MUTE_BASE, 0x1000,
					&mute_ops, NULL), 0);
	r->cfg = (struct arm64_fdt_cfg){
		.ncpus = ncpus,
		.mpidr = r->mpidr,
		.mem_base = CELLVM_RAM_BASE,
		.mem_size = 256ULL << 20,
		.cmdline = "console=ttyAMA0 earlycon",
		.initrd_start = 0x4f000000,
		.initrd_end = 0x4f345678,
		.gic = gic,
		.bus = &r->bus,
		.stdout_path = "/pl011@9000000",
		.rng_seed = rng_seed,
		.rng_seed_len = sizeof(rng_seed),
		.kaslr_seed = KASLR_SEED,
	};
}

/* ---- the generated tree ------------------------------------------------ */

static uint32_t gic_phandle(const void *fdt)
{
	int len;
	const fdt32_t *p = get(fdt, "/intc@8000000", "phandle", &len);

	assert_int_equal(len, 4);
	return fdt32_to_cpu(*p);
}

static void check_root_chosen_memory(const void *fdt, const struct rig *r)
{
	const uint64_t mem[] = { CELLVM_RAM_BASE, 256ULL << 20 };
	const uint64_t initrd[] = { 0x4f000000, 0x4f345678 };

	want_u32(fdt, "/", "#address-cells", 2);
	want_u32(fdt, "/", "#size-cells", 2);
	want_str(fdt, "/", "compatible", "linux,dummy-virt");
	want_str(fdt, "/", "model", "cellvm");
	want_u32(fdt, "/", "interrupt-parent", gic_phandle(fdt));
	want_str(fdt, "/chosen", "bootargs", "console=ttyAMA0 earlycon");
	want_str(fdt, "/chosen", "stdout-path", "/pl011@9000000");
	want_u64s(fdt, "/chosen", "linux,initrd-start", &initrd[0], 1);
	want_u64s(fdt, "/chosen", "linux,initrd-end", &initrd[1], 1);
	want_bytes(fdt, "/chosen", "rng-seed", rng_seed, sizeof(rng_seed));
	want_u64s(fdt, "/chosen", "kaslr-seed", &r->cfg.kaslr_seed, 1);
	want_str(fdt, "/memory@40000000", "device_type", "memory");
	want_u64s(fdt, "/memory@40000000", "reg", mem, 2);
}

static void check_cpus(const void *fdt, const struct rig *r, bool aff3)
{
	char path[64];
	unsigned i, n = 0;
	int off;

	want_u32(fdt, "/cpus", "#address-cells", aff3 ? 2 : 1);
	want_u32(fdt, "/cpus", "#size-cells", 0);
	fdt_for_each_subnode(off, fdt, node(fdt, "/cpus"))
		n++;
	assert_int_equal(n, r->cfg.ncpus);
	for (i = 0; i < r->cfg.ncpus; i++) {
		uint64_t hwid = r->mpidr[i] & 0xff00ffffffULL;

		assert_int_equal(hwid >> 24 & 0xff, 0);
		snprintf(path, sizeof(path), "/cpus/cpu@%llx",
			 (unsigned long long)hwid);
		want_str(fdt, path, "device_type", "cpu");
		want_str(fdt, path, "compatible", "arm,arm-v8");
		want_str(fdt, path, "enable-method", "psci");
		if (aff3)
			want_u64s(fdt, path, "reg", &hwid, 1);
		else
			want_u32(fdt, path, "reg", (uint32_t)hwid);
	}
}

static void check_psci_gic(const void *fdt, const struct rig *r)
{
	static const char psci[] = "arm,psci-1.0\0arm,psci-0.2";
	const char *gic = "/intc@8000000";
	uint64_t reg[4] = { 0x08000000, 0x10000, 0x080a0000,
			    r->cfg.ncpus * 0x20000ULL };

	want_bytes(fdt, "/psci", "compatible", psci, sizeof(psci));
	want_str(fdt, "/psci", "method", "hvc");
	want_u32(fdt, gic, "#interrupt-cells", 3);
	want_u32(fdt, gic, "#address-cells", 0);
	want_bytes(fdt, gic, "interrupt-controller", "", 0);
	if (r->cfg.gic == ARM64_GIC_V3) {
		want_str(fdt, gic, "compatible", "arm,gic-v3");
		want_u32(fdt, gic, "#redistributor-regions", 1);
	} else {
		reg[2] = 0x08010000;
		reg[3] = 0x10000;
		want_str(fdt, gic, "compatible", "arm,cortex-a15-gic");
		assert_false(has(fdt, gic, "#redistributor-regions"));
	}
	want_u64s(fdt, gic, "reg", reg, 4);
	assert_int_equal(gic_phandle(fdt), r->fake.seen_intc);
}

static void check_timer_clock(const void *fdt, const struct rig *r)
{
	uint32_t flags = 4, irqs[12];
	const unsigned ppi[] = { 13, 14, 11, 10 };
	unsigned i;

	if (r->cfg.gic == ARM64_GIC_V2)
		flags |= ((1U << r->cfg.ncpus) - 1) << 8;
	for (i = 0; i < 4; i++) {
		irqs[3 * i] = 1;
		irqs[3 * i + 1] = ppi[i];
		irqs[3 * i + 2] = flags;
	}
	want_str(fdt, "/timer", "compatible", "arm,armv8-timer");
	want_cells(fdt, "/timer", "interrupts", irqs, 12);
	want_bytes(fdt, "/timer", "always-on", "", 0);

	want_str(fdt, "/apb-pclk", "compatible", "fixed-clock");
	want_u32(fdt, "/apb-pclk", "#clock-cells", 0);
	want_u32(fdt, "/apb-pclk", "clock-frequency", 24000000);
	want_str(fdt, "/apb-pclk", "clock-output-names", "clk24mhz");
	want_u32(fdt, "/apb-pclk", "phandle", r->fake.seen_clk);
	assert_int_not_equal(r->fake.seen_clk, r->fake.seen_intc);
}

/* pmu.yaml: PPI 23 (cell 7), flags as the timer's; absent unless asked. */
static void check_pmu(const void *fdt, const struct rig *r)
{
	uint32_t irq[3] = { 1, 7, 4 };

	if (!r->cfg.pmu) {
		assert_true(fdt_path_offset(fdt, "/pmu") < 0);
		return;
	}
	if (r->cfg.gic == ARM64_GIC_V2)
		irq[2] |= ((1U << r->cfg.ncpus) - 1) << 8;
	want_str(fdt, "/pmu", "compatible", "arm,armv8-pmuv3");
	want_cells(fdt, "/pmu", "interrupts", irq, 3);
	assert_int_equal(fdt_node_offset_by_compatible(fdt, -1,
						       "arm,armv8-pmuv3"),
			 node(fdt, "/pmu"));
}

static void check_devices(const void *fdt, const struct rig *r)
{
	const uint32_t level[] = { 0, 16, 4 }, edge[] = { 0, 17, 1 };
	const uint64_t reg[] = { FAKE_BASE, 0x200 };

	want_str(fdt, "/fake@a000000", "compatible", "cellvm,fake");
	want_u64s(fdt, "/fake@a000000", "reg", reg, 2);
	want_cells(fdt, "/fake@a000000", "interrupts", level, 3);
	want_u32(fdt, "/fake@a000000", "clocks", r->fake.seen_clk);
	want_cells(fdt, "/fake@a000200", "interrupts", edge, 3);
	assert_true(fdt_path_offset(fdt, "/fake@b000000") < 0);
}

struct tree_case {
	unsigned ncpus;
	enum arm64_gic_kind gic;
	bool aff3;
	bool pmu;
};

static const struct tree_case tree_cases[] = {
	{ 1, ARM64_GIC_V3, false, false }, { 4, ARM64_GIC_V3, false, false },
	{ 8, ARM64_GIC_V3, false, false }, { 1, ARM64_GIC_V2, false, false },
	{ 4, ARM64_GIC_V2, false, false }, { 8, ARM64_GIC_V2, false, false },
	{ 3, ARM64_GIC_V3, true, false },
	{ MAX_CPUS, ARM64_GIC_V3, false, false },
	{ 1, ARM64_GIC_V3, false, true },  { 4, ARM64_GIC_V3, false, true },
	{ 1, ARM64_GIC_V2, false, true },  { 8, ARM64_GIC_V2, false, true },
	{ MAX_CPUS, ARM64_GIC_V3, false, true },
};

static void test_build(void **state)
{
	static uint8_t buf[BUF_SIZE];
	static struct rig r;
	size_t i;

	for (i = 0; i < sizeof(tree_cases) / sizeof(tree_cases[0]); i++) {
		const struct tree_case *c = &tree_cases[i];
		struct cellvm_err err = { 0 };

		print_message("case: %u CPUs, GICv%d%s%s\n", c->ncpus,
			      c->gic == ARM64_GIC_V3 ? 3 : 2,
			      c->aff3 ? ", Aff3" : "", c->pmu ? ", PMU" : "");
		rig_init(&r, c->ncpus, c->gic, c->aff3);
		r.cfg.pmu = c->pmu;
		assert_int_equal(arm64_fdt_build(&r.cfg, buf, sizeof(buf),
						 &err), 0);
		assert_int_equal(err.cat, CELLVM_E_NONE);
		assert_int_equal(fdt_check_full(buf, sizeof(buf)), 0);
		assert_true(fdt_totalsize(buf) <= sizeof(buf));
		assert_int_equal(fdt_num_mem_rsv(buf), 0);
		check_root_chosen_memory(buf, &r);
		check_cpus(buf, &r, c->aff3);
		check_psci_gic(buf, &r);
		check_timer_clock(buf, &r);
		check_pmu(buf, &r);
		check_devices(buf, &r);
	}
}

/* No cmdline, console, initrd or seeds, no bus: /chosen is there but
 * empty. */
static void test_build_minimal(void **state)
{
	static uint8_t buf[BUF_SIZE];
	struct rig r;
	int off;

	rig_init(&r, 2, ARM64_GIC_V3, false);
	r.cfg.cmdline = NULL;
	r.cfg.stdout_path = NULL;
	r.cfg.initrd_start = r.cfg.initrd_end = 0;
	r.cfg.bus = NULL;
	r.cfg.rng_seed_len = 0;
	r.cfg.kaslr_seed = 0;
	assert_int_equal(arm64_fdt_build(&r.cfg, buf, sizeof(buf), NULL), 0);
	assert_int_equal(fdt_check_full(buf, sizeof(buf)), 0);
	off = node(buf, "/chosen");
	assert_int_equal(fdt_first_property_offset(buf, off),
			 -FDT_ERR_NOTFOUND);
	assert_true(fdt_path_offset(buf, "/fake@a000000") < 0);
	/* A buffer over 2 MiB: the blob still stays within 2 MiB. */
	{
		uint8_t *big = malloc(3 << 20);

		assert_non_null(big);
		assert_int_equal(arm64_fdt_build(&r.cfg, big, 3 << 20, NULL),
				 0);
		assert_true(fdt_totalsize(big) < BUF_SIZE);
		free(big);
	}
}

struct build_err_case {
	const char *name;
	unsigned ncpus;
	enum arm64_gic_kind gic;
	size_t size;
	int fake_fail; /* the fake device's return */
	unsigned fake_line;
	bool dup_mpidr;
	int ret;
	enum cellvm_errcat cat;
	const char *msg;
	size_t seed_len; /* 0: the rig's */
};

static const struct build_err_case build_errs[] = {
	{ "tiny buffer", 2, ARM64_GIC_V3, 256, 0, 48, false, -ENOSPC,
	  CELLVM_E_IMAGE, "generated DTB exceeds 256 bytes", 0 },
	{ "a bit too small", 8, ARM64_GIC_V3, 1500, 0, 48, false, -ENOSPC,
	  CELLVM_E_IMAGE, "generated DTB exceeds 1500 bytes", 0 },
	{ "GICv2 with 9 CPUs", 9, ARM64_GIC_V2, BUF_SIZE, 0, 48, false,
	  -EINVAL, CELLVM_E_USAGE,
	  "9 CPUs: the arm,cortex-a15-gic takes 1 to 8", 0 },
	{ "GICv3 with 124 CPUs", 124, ARM64_GIC_V3, BUF_SIZE, 0, 48, false,
	  -EINVAL, CELLVM_E_USAGE, "124 CPUs: the arm,gic-v3 takes 1 to 123", 0 },
	{ "no CPUs", 0, ARM64_GIC_V3, BUF_SIZE, 0, 48, false, -EINVAL,
	  CELLVM_E_USAGE, "0 CPUs", 0 },
	{ "duplicate MPIDR", 4, ARM64_GIC_V3, BUF_SIZE, 0, 48, true, -EINVAL,
	  CELLVM_E_INTERNAL, "CPUs 1 and 3 share MPIDR affinity 0x1", 0 },
	{ "device fails", 1, ARM64_GIC_V3, BUF_SIZE, -EIO, 48, false, -EINVAL,
	  CELLVM_E_IMAGE,
	  "device fake at 0xa000000: its device-tree node failed (-5)", 0 },
	{ "device out of room", 1, ARM64_GIC_V3, BUF_SIZE, -FDT_ERR_NOSPACE,
	  48, false, -ENOSPC, CELLVM_E_IMAGE, "generated DTB exceeds 65536", 0 },
	{ "device asks for a PPI", 1, ARM64_GIC_V3, BUF_SIZE, 0, 27, false,
	  -EINVAL, CELLVM_E_IMAGE, "device fake at 0xa000000", 0 },
	{ "device line past the GIC", 1, ARM64_GIC_V3, BUF_SIZE, 0, 96, false,
	  -EINVAL, CELLVM_E_IMAGE, "device fake at 0xa000000", 0 },
	{ "rng-seed too long", 1, ARM64_GIC_V3, BUF_SIZE, 0, 48, false,
	  -EINVAL, CELLVM_E_INTERNAL, "rng-seed of 4097 bytes", 4097 },
};

static void test_build_errors(void **state)
{
	static uint8_t buf[BUF_SIZE];
	static struct rig r;
	size_t i;

	for (i = 0; i < sizeof(build_errs) / sizeof(build_errs[0]); i++) {
		const struct build_err_case *c = &build_errs[i];
		struct cellvm_err err = { 0 };

		print_message("case: %s\n", c->name);
		rig_init(&r, c->ncpus, c->gic, false);
		r.fake.fail = c->fake_fail;
		r.fake.line = c->fake_line;
		if (c->dup_mpidr)
			r.mpidr[3] = r.mpidr[1] | (1ULL << 30);
		if (c->seed_len)
			r.cfg.rng_seed_len = c->seed_len;
		assert_int_equal(arm64_fdt_build(&r.cfg, buf, c->size, &err),
				 c->ret);
		assert_int_equal(err.cat, c->cat);
		assert_non_null(strstr(err.msg, c->msg));
	}
}

/* ---- patching a user DTB ---------------------------------------------- */

struct user_dtb {
	int addr_cells, size_cells; /* 0: no property (defaults 2 and 1) */
	bool chosen; /* with bootargs "old" and 32-bit initrd props */
	unsigned nmem; /* memory nodes, a uart node after each */
};

static void put_reg(void *fdt, const struct user_dtb *u, uint64_t a,
		    uint64_t s)
{
	int ac = u->addr_cells ? u->addr_cells : 2;
	int sc = u->size_cells ? u->size_cells : 1;
	fdt32_t cells[4];
	int n = 0;

	if (ac == 2)
		cells[n++] = cpu_to_fdt32((uint32_t)(a >> 32));
	cells[n++] = cpu_to_fdt32((uint32_t)a);
	if (sc == 2)
		cells[n++] = cpu_to_fdt32((uint32_t)(s >> 32));
	cells[n++] = cpu_to_fdt32((uint32_t)s);
	assert_int_equal(fdt_property(fdt, "reg", cells, n * 4), 0);
}

static void make_user_dtb(void *buf, size_t size, const struct user_dtb *u)
{
	char name[32];
	unsigned i;

	assert_int_equal(fdt_create(buf, (int)size), 0);
	assert_int_equal(fdt_add_reservemap_entry(buf, 0x48000000, 0x1000), 0);
	assert_int_equal(fdt_finish_reservemap(buf), 0);
	assert_int_equal(fdt_begin_node(buf, ""), 0);
	if (u->addr_cells)
		assert_int_equal(fdt_property_u32(buf, "#address-cells",
						  u->addr_cells), 0);
	if (u->size_cells)
		assert_int_equal(fdt_property_u32(buf, "#size-cells",
						  u->size_cells), 0);
	assert_int_equal(fdt_property_string(buf, "compatible", "acme,board"),
			 0);
	if (u->chosen) {
		assert_int_equal(fdt_begin_node(buf, "chosen"), 0);
		assert_int_equal(fdt_property_string(buf, "bootargs", "old"),
				 0);
		assert_int_equal(fdt_property_u32(buf, "linux,initrd-start",
						  0x1000), 0);
		assert_int_equal(fdt_property_u32(buf, "linux,initrd-end",
						  0x2000), 0);
		assert_int_equal(fdt_property(buf, "rng-seed", "old!", 4), 0);
		assert_int_equal(fdt_property_u64(buf, "kaslr-seed",
						  OLD_KASLR_SEED), 0);
		assert_int_equal(fdt_end_node(buf), 0);
	}
	for (i = 0; i < u->nmem; i++) {
		snprintf(name, sizeof(name), "memory@%x", 0x80000000U + i);
		assert_int_equal(fdt_begin_node(buf, name), 0);
		assert_int_equal(fdt_property_string(buf, "device_type",
						     "memory"), 0);
		put_reg(buf, u, 0x80000000U + i, 0x1000);
		assert_int_equal(fdt_end_node(buf), 0);
		snprintf(name, sizeof(name), "uart@%x", 0x9000000U + i);
		assert_int_equal(fdt_begin_node(buf, name), 0);
		assert_int_equal(fdt_end_node(buf), 0);
	}
	assert_int_equal(fdt_end_node(buf), 0);
	assert_int_equal(fdt_finish(buf), 0);
}

struct patch_case {
	const char *name;
	struct user_dtb u;
	bool initrd, cmdline;
	bool no_seeds; /* cfg has none: the file's stay */
};

static const struct patch_case patch_cases[] = {
	{ "chosen and one memory node", { 2, 2, true, 1 }, true, true, false },
	{ "two memory nodes", { 2, 2, true, 2 }, true, true, false },
	{ "three memory nodes, 1/1 cells", { 1, 1, true, 3 }, true, true, false },
	{ "no chosen, no memory", { 2, 2, false, 0 }, true, true, false },
	{ "no cells properties (2/1)", { 0, 0, false, 1 }, true, true, false },
	{ "initrd removed", { 2, 2, true, 1 }, false, true, false },
	{ "no initrd, no chosen", { 2, 2, false, 1 }, false, true, false },
	{ "bootargs kept without a cmdline", { 2, 2, true, 1 }, true, false, false },
	{ "the file's seeds kept without fresh ones", { 2, 2, true, 1 }, true,
	  true, true },
	{ "no seeds anywhere", { 2, 2, false, 1 }, true, true, true },
};

/* Fresh seeds replace the file's; without fresh ones the file's stay. */
static void check_patched_seeds(const void *fdt, const struct patch_case *c)
{
	const uint64_t fresh = KASLR_SEED, old = OLD_KASLR_SEED;

	if (!c->no_seeds) {
		want_bytes(fdt, "/chosen", "rng-seed", rng_seed,
			   sizeof(rng_seed));
		want_u64s(fdt, "/chosen", "kaslr-seed", &fresh, 1);
	} else if (c->u.chosen) {
		want_bytes(fdt, "/chosen", "rng-seed", "old!", 4);
		want_u64s(fdt, "/chosen", "kaslr-seed", &old, 1);
	} else {
		assert_false(has(fdt, "/chosen", "rng-seed"));
		assert_false(has(fdt, "/chosen", "kaslr-seed"));
	}
}

static void check_patched(const void *fdt, const struct patch_case *c,
			  size_t bufsize)
{
	const uint64_t initrd[] = { 0x4f000000, 0x4f345678 };
	unsigned nmem = 0, nuart = 0;
	const char *name;
	int off;

	assert_int_equal(fdt_check_full(fdt, bufsize), 0);
	assert_int_equal(fdt_num_mem_rsv(fdt), 1);
	want_str(fdt, "/", "compatible", "acme,board");
	want_str(fdt, "/chosen", "bootargs",
		 c->cmdline ? "console=ttyAMA0 earlycon" : "old");
	if (c->initrd) {
		want_u64s(fdt, "/chosen", "linux,initrd-start", &initrd[0], 1);
		want_u64s(fdt, "/chosen", "linux,initrd-end", &initrd[1], 1);
	} else {
		assert_false(has(fdt, "/chosen", "linux,initrd-start"));
		assert_false(has(fdt, "/chosen", "linux,initrd-end"));
	}
	check_patched_seeds(fdt, c);
	fdt_for_each_subnode(off, fdt, 0) {
		name = fdt_get_name(fdt, off, NULL);
		nmem += !strncmp(name, "memory", 6);
		nuart += !strncmp(name, "uart@", 5);
	}
	assert_int_equal(nmem, 1);
	assert_int_equal(nuart, c->u.nmem);
	want_str(fdt, "/memory@40000000", "device_type", "memory");
	if (c->u.addr_cells == 1) {
		const uint32_t reg[] = { 0x40000000, 0x10000000 };

		want_cells(fdt, "/memory@40000000", "reg", reg, 2);
	} else if (c->u.size_cells == 2) {
		const uint64_t reg[] = { 0x40000000, 0x10000000 };

		want_u64s(fdt, "/memory@40000000", "reg", reg, 2);
	} else {
		const uint32_t reg[] = { 0, 0x40000000, 0x10000000 };

		want_cells(fdt, "/memory@40000000", "reg", reg, 3);
	}
}

static void test_patch(void **state)
{
	static uint8_t buf[BUF_SIZE];
	size_t i;

	for (i = 0; i < sizeof(patch_cases) / sizeof(patch_cases[0]); i++) {
		const struct patch_case *c = &patch_cases[i];
		struct cellvm_err err = { 0 };
		struct rig r;
		size_t room;

		print_message("case: %s\n", c->name);
		rig_init(&r, 1, ARM64_GIC_V3, false);
		if (!c->initrd)
			r.cfg.initrd_start = r.cfg.initrd_end = 0;
		if (!c->cmdline)
			r.cfg.cmdline = NULL;
		if (c->no_seeds) {
			r.cfg.rng_seed_len = 0;
			r.cfg.kaslr_seed = 0;
		}
		memset(buf, 0, sizeof(buf));
		make_user_dtb(buf, 4096, &c->u);
		/* The room the layout gives: the blob plus the patch room. */
		room = fdt_totalsize(buf) + ARM64_FDT_PATCH_ROOM;
		assert_int_equal(arm64_fdt_patch(buf, room, &r.cfg, &err), 0);
		assert_int_equal(err.cat, CELLVM_E_NONE);
		assert_true(fdt_totalsize(buf) <= room);
		check_patched(buf, c, room);
	}
}

static void expect_patch_err(void *buf, size_t size,
			     const struct arm64_fdt_cfg *cfg, int ret,
			     const char *msg)
{
	struct cellvm_err err = { 0 };

	assert_int_equal(arm64_fdt_patch(buf, size, cfg, &err), ret);
	assert_int_equal(err.cat, CELLVM_E_IMAGE);
	if (!strstr(err.msg, msg))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, msg);
}

/* The length word of the first property in the structure block. */
static fdt32_t *first_prop_len(void *fdt)
{
	int offset, next = 0;
	uint32_t tag;

	do {
		offset = next;
		tag = fdt_next_tag(fdt, offset, &next);
		assert_true(next > offset);
	} while (tag != FDT_PROP);
	return (fdt32_t *)((char *)fdt + fdt_off_dt_struct(fdt) + offset + 4);
}

static void test_patch_errors(void **state)
{
	static const struct user_dtb one = { 2, 2, true, 1 };
	static const struct user_dtb small = { 1, 1, true, 1 };
	static uint8_t buf[BUF_SIZE];
	static char cmdline[8192];
	uint8_t *big;
	void *blob;
	struct rig r;
	fdt32_t *word;

	rig_init(&r, 1, ARM64_GIC_V3, false);
	memset(buf, 0, sizeof(buf));
	expect_patch_err(buf, sizeof(buf), &r.cfg, -EINVAL,
			 "DTB malformed (libfdt: FDT_ERR_BADMAGIC)");
	expect_patch_err(NULL, sizeof(buf), &r.cfg, -EINVAL, "DTB missing");
	/* With the file's name, every message names it. */
	r.cfg.dtb_name = "my.dtb";
	expect_patch_err(buf, sizeof(buf), &r.cfg, -EINVAL,
			 "DTB my.dtb: malformed (libfdt: FDT_ERR_BADMAGIC)");
	r.cfg.dtb_name = NULL;

	make_user_dtb(buf, 4096, &one);
	expect_patch_err(buf, fdt_totalsize(buf) - 1, &r.cfg, -EINVAL,
			 "DTB malformed (libfdt: FDT_ERR_TRUNCATED)");
	expect_patch_err(buf, 10, &r.cfg, -EINVAL,
			 "DTB malformed (libfdt: FDT_ERR_TRUNCATED)");

	/* A bad token inside the structure block. */
	word = (fdt32_t *)(buf + fdt_off_dt_struct(buf) + 8);
	*word = cpu_to_fdt32(0x77);
	expect_patch_err(buf, sizeof(buf), &r.cfg, -EINVAL, "DTB malformed");

	/*
	 * A property length that walks its tag back onto itself: Debian's
	 * libfdt 1.6.1 fdt_check_full() spins on it for ever (fuzz_dtb found
	 * it). The alarm turns a hang into a failure.
	 */
	make_user_dtb(buf, 4096, &one);
	*first_prop_len(buf) = cpu_to_fdt32(0xfffffff4);
	alarm(20);
	expect_patch_err(buf, sizeof(buf), &r.cfg, -EINVAL,
			 "DTB malformed (libfdt: FDT_ERR_BADSTRUCTURE)");
	alarm(0);

	/* Growing past the room: a long command line. */
	make_user_dtb(buf, 4096, &one);
	memset(cmdline, 'x', sizeof(cmdline) - 1);
	r.cfg.cmdline = cmdline;
	expect_patch_err(buf, fdt_totalsize(buf) + 100, &r.cfg, -ENOSPC,
			 "DTB does not fit in");
	r.cfg.cmdline = "console=ttyAMA0";

	/* 32-bit cells cannot describe RAM above 4 GiB. */
	make_user_dtb(buf, 4096, &small);
	r.cfg.mem_base = 0x100000000ULL;
	expect_patch_err(buf, sizeof(buf), &r.cfg, -EINVAL,
			 "DTB root #address-cells/#size-cells 1/1 cannot hold "
			 "memory 0x100000000+0x10000000");
	r.cfg.mem_base = CELLVM_RAM_BASE;

	/* Over 2 MiB: one huge property. */
	big = calloc(1, 3 << 20);
	assert_non_null(big);
	assert_int_equal(fdt_create(big, 3 << 20), 0);
	assert_int_equal(fdt_finish_reservemap(big), 0);
	assert_int_equal(fdt_begin_node(big, ""), 0);
	assert_int_equal(fdt_property_placeholder(big, "blob", 2 << 20, &blob),
			 0);
	memset(blob, 0x5a, 2 << 20);
	assert_int_equal(fdt_end_node(big), 0);
	assert_int_equal(fdt_finish(big), 0);
	expect_patch_err(big, 3 << 20, &r.cfg, -E2BIG, "larger than 2 MiB");
	free(big);
}

/* Shapes the fuzzer found. */
static void test_patch_odd(void **state)
{
	static const struct user_dtb one = { 2, 2, true, 1 };
	static uint8_t buf[BUF_SIZE];
	const struct patch_case c = { "", { 2, 2, true, 0 }, true, true,
				      false };
	struct rig r;
	int chosen;

	rig_init(&r, 1, ARM64_GIC_V3, false);
	/*
	 * A v16 blob whose last string runs past its string block: v16
	 * lookups are not bounded by the block, v17 ones are, and opening
	 * converts to v17. Refused rather than handed on broken.
	 */
	make_user_dtb(buf, 4096, &one);
	fdt_set_version(buf, 16);
	fdt_set_size_dt_strings(buf, fdt_size_dt_strings(buf) - 3);
	assert_int_equal(fdt_check_full(buf, sizeof(buf)), 0);
	expect_patch_err(buf, sizeof(buf), &r.cfg, -EINVAL,
			 "DTB malformed (libfdt: FDT_ERR_TRUNCATED)");

	/* /chosen claiming to be memory: it becomes the memory node, and a
	 * new /chosen is made. */
	make_user_dtb(buf, 4096, &c.u);
	assert_int_equal(fdt_open_into(buf, buf, 4096), 0);
	chosen = fdt_path_offset(buf, "/chosen");
	assert_int_equal(fdt_setprop_string(buf, chosen, "device_type",
					    "memory"), 0);
	assert_int_equal(arm64_fdt_patch(buf, sizeof(buf), &r.cfg, NULL), 0);
	check_patched(buf, &c, sizeof(buf));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_build_minimal),
		cmocka_unit_test(test_build_errors),
		cmocka_unit_test(test_patch),
		cmocka_unit_test(test_patch_errors),
		cmocka_unit_test(test_patch_odd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
