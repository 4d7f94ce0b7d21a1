// SPDX-License-Identifier: MIT
/*
 * The device tree handed to the guest kernel (booting.rst section 2,
 * "Setup the device tree"), built with libfdt's sequential-write API, one
 * small function per node, or a user's --dtb patched in place.
 *
 * A generated tree for 2 CPUs and GICv3 (devices add their own nodes):
 *
 *	/ {
 *		#address-cells = <2>; #size-cells = <2>;
 *		compatible = "linux,dummy-virt"; model = "cellvm";
 *		interrupt-parent = <&gic>;
 *		chosen {
 *			bootargs = "console=ttyAMA0";
 *			stdout-path = "/pl011@9000000";
 *			linux,initrd-start = /bits/ 64 <0x4f000000>;
 *			linux,initrd-end = /bits/ 64 <0x4f400000>;
 *			rng-seed = [32 bytes from getrandom()];
 *			kaslr-seed = /bits/ 64 <from getrandom()>;
 *		};
 *		memory@40000000 {
 *			device_type = "memory";
 *			reg = <0x0 0x40000000 0x0 0x10000000>;
 *		};
 *		cpus {
 *			#address-cells = <1>; #size-cells = <0>;
 *			cpu@0 { device_type = "cpu";
 *				compatible = "arm,arm-v8";
 *				enable-method = "psci"; reg = <0x0>; };
 *			cpu@1 { ... reg = <0x1>; };
 *		};
 *		psci { compatible = "arm,psci-1.0", "arm,psci-0.2";
 *		       method = "hvc"; };
 *		gic: intc@8000000 {
 *			compatible = "arm,gic-v3"; #interrupt-cells = <3>;
 *			#address-cells = <0>; interrupt-controller;
 *			reg = <0x0 0x8000000 0x0 0x10000>,
 *			      <0x0 0x80a0000 0x0 0x40000>;
 *			#redistributor-regions = <1>; phandle = <1>;
 *		};
 *		timer { compatible = "arm,armv8-timer";
 *			interrupts = <1 13 4>, <1 14 4>, <1 11 4>, <1 10 4>;
 *			always-on; };
 *		pmu { compatible = "arm,armv8-pmuv3";	(PMU asked for)
 *		      interrupts = <1 7 4>; };
 *		apb-pclk { compatible = "fixed-clock"; #clock-cells = <0>;
 *			   clock-frequency = <24000000>;
 *			   clock-output-names = "clk24mhz"; phandle = <2>; };
 *	};
 *
 * Bindings: Documentation/devicetree/bindings/ arm/cpus.yaml,
 * arm/psci.yaml, interrupt-controller/arm,gic.yaml and arm,gic-v3.yaml,
 * timer/arm,arch_timer.yaml, arm/pmu.yaml,
 * clock/fixed-clock.yaml; /chosen and /memory
 * from the Devicetree Specification v0.4, sections 3.4 and 3.6.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libfdt.h>

#include "core/bytes.h"
#include "arch/arm64/arm64.h"
#include "arch/arm64/memmap.h"

/* The phandles we give out; devices see them in struct cellvm_fdt_ctx. */
#define PHANDLE_GIC 1
#define PHANDLE_APB_CLK 2
/* Devices get theirs from here on (ctx->phandle_alloc). */
#define PHANDLE_FIRST_DEV 3

/* GIC interrupt specifiers have 3 cells: type, number, flags
 * (arm,gic.yaml). SPIs are numbered from INTID 32, PPIs from 16. */
#define GIC_FDT_SPI 0
#define GIC_FDT_PPI 1
#define GIC_SPI_BASE 32
#define GIC_PPI_BASE 16
/* include/dt-bindings/interrupt-controller/irq.h */
#define IRQ_TYPE_EDGE_RISING 1
#define IRQ_TYPE_LEVEL_HIGH 4
/* GICv2 PPIs: bits 15:8 of the flags cell are the target CPU mask. */
#define GICV2_PPI_CPU_SHIFT 8
#define GICV2_MAX_CPUS 8

/* cpus.yaml: reg is MPIDR_EL1 Aff3 (bits 39:32) and Aff2..0 (23:0);
 * with Aff3 in use the cpus node needs two address cells. */
#define MPIDR_HWID_MASK 0xff00ffffffULL
#define MPIDR_AFF3_MASK 0xff00000000ULL

#define APB_CLK_HZ 24000000

#define FDT_NAME_MAX 64
#define FDT_MAX_CELLS 16
#define FDT_MAX_SEED 4096 /* bytes of rng-seed we accept to write */

/* Sequential-write state: the first libfdt error sticks, and every later
 * step becomes a no-op, so the node functions read as plain sequences. */
struct fdt_builder {
	struct cellvm_fdt_ctx ctx; /* ctx.fdt is the blob */
	int ret;
	uint32_t next_phandle; /* the next one phandle_alloc gives */
};

/* ctx is the first member of its builder. */
static uint32_t phandle_alloc(const struct cellvm_fdt_ctx *ctx)
{
	struct fdt_builder *b = (struct fdt_builder *)(uintptr_t)ctx;

	return b->next_phandle++;
}

static void begin(struct fdt_builder *b, const char *name)
{
	if (!b->ret)
		b->ret = fdt_begin_node(b->ctx.fdt, name);
}

static void end(struct fdt_builder *b)
{
	if (!b->ret)
		b->ret = fdt_end_node(b->ctx.fdt);
}

static void prop(struct fdt_builder *b, const char *name, const void *val,
		 int len)
{
	if (!b->ret)
		b->ret = fdt_property(b->ctx.fdt, name, val, len);
}

static void prop_str(struct fdt_builder *b, const char *name, const char *s)
{
	prop(b, name, s, (int)strlen(s) + 1);
}

/* A string list: pass sizeof of a literal with embedded NULs. */
#define prop_strs(b, name, lit) prop(b, name, lit, (int)sizeof(lit))

static void prop_cells(struct fdt_builder *b, const char *name,
		       const uint32_t *v, unsigned n)
{
	fdt32_t cells[FDT_MAX_CELLS];
	unsigned i;

	if (n > FDT_MAX_CELLS) {
		b->ret = b->ret ? b->ret : -FDT_ERR_INTERNAL;
		return;
	}
	for (i = 0; i < n; i++)
		cells[i] = cpu_to_fdt32(v[i]);
	prop(b, name, cells, (int)(n * sizeof(cells[0])));
}

static void prop_u32(struct fdt_builder *b, const char *name, uint32_t v)
{
	prop_cells(b, name, &v, 1);
}

/* Values of two cells each: addresses and sizes under the root. */
static void prop_u64s(struct fdt_builder *b, const char *name,
		      const uint64_t *v, unsigned n)
{
	fdt64_t cells[FDT_MAX_CELLS / 2];
	unsigned i;

	if (n > FDT_MAX_CELLS / 2) {
		b->ret = b->ret ? b->ret : -FDT_ERR_INTERNAL;
		return;
	}
	for (i = 0; i < n; i++)
		cells[i] = cpu_to_fdt64(v[i]);
	prop(b, name, cells, (int)(n * sizeof(cells[0])));
}

static unsigned long long ull(uint64_t v)
{
	return v;
}

static bool has_initrd(const struct arm64_fdt_cfg *cfg)
{
	return cfg->initrd_end > cfg->initrd_start;
}

/*
 * ctx->irq_prop: interrupts = <0 (INTID - 32) flags> for an SPI. Devices
 * only have SPIs on this machine; anything else is a bug in the device.
 */
static int irq_prop(const struct cellvm_fdt_ctx *ctx, unsigned line,
		    bool edge)
{
	uint32_t flags = edge ? IRQ_TYPE_EDGE_RISING : IRQ_TYPE_LEVEL_HIGH;
	fdt32_t cells[3];
	int ret;

	if (line < GIC_SPI_BASE || line >= CELLVM_GIC_NR_IRQS)
		return -EINVAL;
	cells[0] = cpu_to_fdt32(GIC_FDT_SPI);
	cells[1] = cpu_to_fdt32(line - GIC_SPI_BASE);
	cells[2] = cpu_to_fdt32(flags);
	ret = fdt_property(ctx->fdt, "interrupts", cells, sizeof(cells));
	return ret ? fdt_to_errno(ret) : 0;
}

static void root_props(struct fdt_builder *b)
{
	prop_u32(b, "#address-cells", 2);
	prop_u32(b, "#size-cells", 2);
	prop_str(b, "compatible", "linux,dummy-virt");
	prop_str(b, "model", "cellvm");
	prop_u32(b, "interrupt-parent", PHANDLE_GIC);
}

static void node_chosen(struct fdt_builder *b, const struct arm64_fdt_cfg *cfg)
{
	begin(b, "chosen");
	if (cfg->cmdline)
		prop_str(b, "bootargs", cfg->cmdline);
	if (cfg->stdout_path)
		prop_str(b, "stdout-path", cfg->stdout_path);
	/* Linux reads these with of_read_number(): 64-bit values work. */
	if (has_initrd(cfg)) {
		prop_u64s(b, "linux,initrd-start", &cfg->initrd_start, 1);
		prop_u64s(b, "linux,initrd-end", &cfg->initrd_end, 1);
	}
	/* Documentation/devicetree/bindings/chosen.txt (dt-schema
	 * chosen.yaml): rng-seed is bytes, kaslr-seed a 64-bit value. */
	if (cfg->rng_seed_len)
		prop(b, "rng-seed", cfg->rng_seed, (int)cfg->rng_seed_len);
	if (cfg->kaslr_seed)
		prop_u64s(b, "kaslr-seed", &cfg->kaslr_seed, 1);
	end(b);
}

static void node_memory(struct fdt_builder *b, const struct arm64_fdt_cfg *cfg)
{
	uint64_t reg[2] = { cfg->mem_base, cfg->mem_size };
	char name[FDT_NAME_MAX];

	snprintf(name, sizeof(name), "memory@%llx", ull(cfg->mem_base));
	begin(b, name);
	prop_str(b, "device_type", "memory");
	prop_u64s(b, "reg", reg, 2);
	end(b);
}

static bool cpus_use_aff3(const struct arm64_fdt_cfg *cfg)
{
	unsigned i;

	for (i = 0; i < cfg->ncpus; i++)
		if (cfg->mpidr[i] & MPIDR_AFF3_MASK)
			return true;
	return false;
}

static void node_cpus(struct fdt_builder *b, const struct arm64_fdt_cfg *cfg)
{
	bool aff3 = cpus_use_aff3(cfg);
	char name[FDT_NAME_MAX];
	unsigned i;

	begin(b, "cpus");
	prop_u32(b, "#address-cells", aff3 ? 2 : 1);
	prop_u32(b, "#size-cells", 0);
	for (i = 0; i < cfg->ncpus; i++) {
		uint64_t hwid = cfg->mpidr[i] & MPIDR_HWID_MASK;

		/* The unit address is the whole reg value in hex. */
		snprintf(name, sizeof(name), "cpu@%llx", ull(hwid));
		begin(b, name);
		prop_str(b, "device_type", "cpu");
		prop_str(b, "compatible", "arm,arm-v8");
		prop_str(b, "enable-method", "psci");
		if (aff3)
			prop_u64s(b, "reg", &hwid, 1);
		else
			prop_u32(b, "reg", (uint32_t)hwid);
		end(b);
	}
	end(b);
}

static void node_psci(struct fdt_builder *b)
{
	/* PSCI 1.0 is what KVM implements; 0.2 lets older kernels bind. */
	begin(b, "psci");
	prop_strs(b, "compatible", "arm,psci-1.0\0arm,psci-0.2");
	prop_str(b, "method", "hvc");
	end(b);
}

/* What differs between the two GIC flavours' nodes. */
struct gic_variant {
	const char *compatible;
	unsigned max_cpus;
	bool redist; /* GICv3: 2nd reg is the redistributors, per CPU */
};

static const struct gic_variant gic_variants[] = {
	[ARM64_GIC_V3] = { "arm,gic-v3", CELLVM_GIC_REDIST_MAX_CPUS, true },
	[ARM64_GIC_V2] = { "arm,cortex-a15-gic", GICV2_MAX_CPUS, false },
};

static void node_gic(struct fdt_builder *b, const struct arm64_fdt_cfg *cfg)
{
	const struct gic_variant *v = &gic_variants[cfg->gic];
	uint64_t reg[4] = { CELLVM_GIC_DIST_BASE, CELLVM_GIC_DIST_SIZE,
			    CELLVM_GIC_CPU_BASE, CELLVM_GIC_CPU_SIZE };
	char name[FDT_NAME_MAX];

	if (v->redist) {
		reg[2] = CELLVM_GIC_REDIST_BASE;
		reg[3] = cfg->ncpus * CELLVM_GIC_REDIST_SIZE_PER_CPU;
	}
	snprintf(name, sizeof(name), "intc@%llx", ull(CELLVM_GIC_DIST_BASE));
	begin(b, name);
	prop_str(b, "compatible", v->compatible);
	prop_u32(b, "#interrupt-cells", 3);
	/* No children; dtc and the bindings want it said. */
	prop_u32(b, "#address-cells", 0);
	prop(b, "interrupt-controller", NULL, 0);
	prop_u64s(b, "reg", reg, 4);
	if (v->redist)
		prop_u32(b, "#redistributor-regions", 1);
	prop_u32(b, "phandle", PHANDLE_GIC);
	end(b);
}

/* A per-CPU device's PPI flags, as QEMU's virt board writes them:
 * level-high, plus the CPU mask on GICv2. */
static uint32_t ppi_flags(const struct arm64_fdt_cfg *cfg)
{
	uint32_t flags = IRQ_TYPE_LEVEL_HIGH;

	if (cfg->gic == ARM64_GIC_V2)
		flags |= ((1U << cfg->ncpus) - 1) << GICV2_PPI_CPU_SHIFT;
	return flags;
}

static void node_timer(struct fdt_builder *b, const struct arm64_fdt_cfg *cfg)
{
	/* arch_timer.yaml order: secure phys, non-secure phys, virt, hyp. */
	static const unsigned ppis[] = {
		CELLVM_PPI_PTIMER_SEC, CELLVM_PPI_PTIMER,
		CELLVM_PPI_VTIMER, CELLVM_PPI_HTIMER,
	};
	uint32_t flags = ppi_flags(cfg);
	uint32_t cells[3 * 4];
	unsigned i;

	for (i = 0; i < 4; i++) {
		cells[3 * i] = GIC_FDT_PPI;
		cells[3 * i + 1] = ppis[i] - GIC_PPI_BASE;
		cells[3 * i + 2] = flags;
	}
	begin(b, "timer");
	prop_str(b, "compatible", "arm,armv8-timer");
	prop_cells(b, "interrupts", cells, 3 * 4);
	prop(b, "always-on", NULL, 0);
	end(b);
}

/* pmu.yaml: PMUv3, its overflow interrupt a PPI (the same on all CPUs). */
static void node_pmu(struct fdt_builder *b, const struct arm64_fdt_cfg *cfg)
{
	uint32_t cells[3] = { GIC_FDT_PPI, CELLVM_PPI_PMU - GIC_PPI_BASE,
			      ppi_flags(cfg) };

	if (!cfg->pmu)
		return;
	begin(b, "pmu");
	prop_str(b, "compatible", "arm,armv8-pmuv3");
	prop_cells(b, "interrupts", cells, 3);
	end(b);
}

/* The APB clock PL011 and other AMBA devices name in "clocks". */
static void node_apb_clk(struct fdt_builder *b)
{
	begin(b, "apb-pclk");
	prop_str(b, "compatible", "fixed-clock");
	prop_u32(b, "#clock-cells", 0);
	prop_u32(b, "clock-frequency", APB_CLK_HZ);
	prop_str(b, "clock-output-names", "clk24mhz");
	prop_u32(b, "phandle", PHANDLE_APB_CLK);
	end(b);
}

static int nospace(size_t size, struct cellvm_err *err)
{
	return cellvm_err_set(err, CELLVM_E_IMAGE, -ENOSPC,
			      "generated DTB exceeds %zu bytes", size);
}

/* Each device on the bus writes its own node (kvmtool's pattern). */
static int device_nodes(struct fdt_builder *b, const struct cellvm_bus *bus,
			size_t size, struct cellvm_err *err)
{
	unsigned i;
	int ret;

	for (i = 0; bus && i < bus->nr && !b->ret; i++) {
		const struct cellvm_bus_dev *d = &bus->dev[i];

		if (!d->ops || !d->ops->fdt_node)
			continue;
		ret = d->ops->fdt_node(d->opaque, &b->ctx, d->base, d->size);
		/* Devices may pass libfdt's code through: -3 is its NOSPACE. */
		if (ret == -ENOSPC || ret == -FDT_ERR_NOSPACE)
			return nospace(size, err);
		if (ret)
			return cellvm_err_set(err, CELLVM_E_IMAGE, -EINVAL,
					      "device %s at 0x%llx: its "
					      "device-tree node failed (%d)",
					      d->name ? d->name : "?",
					      ull(d->base), ret);
	}
	return 0;
}

#define NR_GIC_VARIANTS (sizeof(gic_variants) / sizeof(gic_variants[0]))

static int check_seed(const struct arm64_fdt_cfg *cfg, struct cellvm_err *err)
{
	if (cfg->rng_seed_len > FDT_MAX_SEED ||
	    (cfg->rng_seed_len && !cfg->rng_seed))
		return cellvm_err_set(err, CELLVM_E_INTERNAL, -EINVAL,
				      "rng-seed of %zu bytes: want 1 to %d",
				      cfg->rng_seed_len, FDT_MAX_SEED);
	return 0;
}

static int check_cfg(const struct arm64_fdt_cfg *cfg, struct cellvm_err *err)
{
	const struct gic_variant *v;
	uint64_t hwid;
	unsigned i, j;
	int ret;

	if ((unsigned)cfg->gic >= NR_GIC_VARIANTS)
		return cellvm_err_set(err, CELLVM_E_USAGE, -EINVAL,
				      "unknown GIC kind %d", (int)cfg->gic);
	v = &gic_variants[cfg->gic];
	if (cfg->ncpus == 0 || cfg->ncpus > v->max_cpus || !cfg->mpidr)
		return cellvm_err_set(err, CELLVM_E_USAGE, -EINVAL,
				      "%u CPUs: the %s takes 1 to %u",
				      cfg->ncpus, v->compatible, v->max_cpus);
	if (cfg->mem_size == 0)
		return cellvm_err_set(err, CELLVM_E_USAGE, -EINVAL,
				      "memory size 0");
	ret = check_seed(cfg, err);
	if (ret)
		return ret;
	/* Two cpu nodes with one reg would be one CPU to the kernel. */
	for (i = 0; i < cfg->ncpus; i++) {
		hwid = cfg->mpidr[i] & MPIDR_HWID_MASK;
		for (j = 0; j < i; j++)
			if ((cfg->mpidr[j] & MPIDR_HWID_MASK) == hwid)
				return cellvm_err_set(
					err, CELLVM_E_INTERNAL, -EINVAL,
					"CPUs %u and %u share MPIDR affinity "
					"0x%llx",
					j, i, ull(hwid));
	}
	return 0;
}

int arm64_fdt_build(const struct arm64_fdt_cfg *cfg, void *buf, size_t size,
		    struct cellvm_err *err)
{
	struct fdt_builder b = {
		.ctx = { .fdt = buf, .intc_phandle = PHANDLE_GIC,
			 .apb_clk_phandle = PHANDLE_APB_CLK,
			 .irq_prop = irq_prop, .phandle_alloc = phandle_alloc },
		.next_phandle = PHANDLE_FIRST_DEV,
	};
	int ret;

	ret = check_cfg(cfg, err);
	if (ret)
		return ret;
	/* booting.rst 2: never more than 2 MiB, so the int API is enough. */
	if (size > ARM64_DTB_MAX_SIZE)
		size = ARM64_DTB_MAX_SIZE;
	b.ret = buf ? fdt_create(buf, (int)size) : -FDT_ERR_NOSPACE;
	if (!b.ret)
		b.ret = fdt_finish_reservemap(buf);
	begin(&b, "");
	root_props(&b);
	node_chosen(&b, cfg);
	node_memory(&b, cfg);
	node_cpus(&b, cfg);
	node_psci(&b);
	node_gic(&b, cfg);
	node_timer(&b, cfg);
	node_pmu(&b, cfg);
	node_apb_clk(&b);
	ret = device_nodes(&b, cfg->bus, size, err);
	if (ret)
		return ret;
	end(&b);
	if (!b.ret)
		b.ret = fdt_finish(buf);
	if (b.ret == -FDT_ERR_NOSPACE)
		return nospace(size, err);
	if (b.ret)
		return cellvm_err_set(err, CELLVM_E_IMAGE, fdt_to_errno(b.ret),
				      "generating the DTB failed (libfdt: %s)",
				      fdt_strerror(b.ret));
	return 0;
}

/* ---- patching a user DTB ------------------------------------------- */

/* Messages name the DTB ("DTB <path>: ..." when the caller gave its
 * name), so no caller has to rewrite them. */
static int CELLVM_PRINTF(4, 5) dtb_err(const struct arm64_fdt_cfg *cfg,
				       struct cellvm_err *err, int errnum,
				       const char *fmt, ...)
{
	char what[CELLVM_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (cfg && cfg->dtb_name)
		return cellvm_err_set(err, CELLVM_E_IMAGE, errnum,
				      "DTB %.100s: %.150s", cfg->dtb_name, what);
	return cellvm_err_set(err, CELLVM_E_IMAGE, errnum, "DTB %s", what);
}

static int patch_fail(const struct arm64_fdt_cfg *cfg, int ret,
		      const char *what, size_t room, struct cellvm_err *err)
{
	if (ret == -FDT_ERR_NOSPACE)
		return dtb_err(cfg, err, -ENOSPC,
				      "does not fit in %zu bytes when %s",
				      room, what);
	return dtb_err(cfg, err, fdt_to_errno(ret),
			      "patch failed when %s (libfdt: %s)",
			      what, fdt_strerror(ret));
}

static int set_initrd(void *fdt, int chosen, const struct arm64_fdt_cfg *cfg)
{
	static const char *const props[] = { "linux,initrd-start",
					     "linux,initrd-end" };
	const uint64_t val[] = { cfg->initrd_start, cfg->initrd_end };
	unsigned i;
	int ret;

	for (i = 0; i < 2; i++) {
		if (has_initrd(cfg))
			ret = fdt_setprop_u64(fdt, chosen, props[i], val[i]);
		else
			ret = fdt_delprop(fdt, chosen, props[i]);
		if (ret && ret != -FDT_ERR_NOTFOUND)
			return ret;
	}
	return 0;
}

/* Fresh seeds replace the file's: one reused on every boot is none. */
static int set_seeds(void *fdt, int chosen, const struct arm64_fdt_cfg *cfg)
{
	int ret = 0;

	if (cfg->rng_seed_len)
		ret = fdt_setprop(fdt, chosen, "rng-seed", cfg->rng_seed,
				  (int)cfg->rng_seed_len);
	if (!ret && cfg->kaslr_seed)
		ret = fdt_setprop_u64(fdt, chosen, "kaslr-seed",
				      cfg->kaslr_seed);
	return ret;
}

/* /chosen: created if missing; bootargs, the initrd and seeds replaced. */
static int patch_chosen(void *fdt, const struct arm64_fdt_cfg *cfg)
{
	int chosen, ret;

	chosen = fdt_path_offset(fdt, "/chosen");
	if (chosen == -FDT_ERR_NOTFOUND)
		chosen = fdt_add_subnode(fdt, 0, "chosen");
	if (chosen < 0)
		return chosen;
	if (cfg->cmdline) {
		ret = fdt_setprop_string(fdt, chosen, "bootargs", cfg->cmdline);
		if (ret)
			return ret;
	}
	ret = set_seeds(fdt, chosen, cfg);
	if (ret)
		return ret;
	return set_initrd(fdt, chosen, cfg);
}

/* Linux only looks for memory among the root's children, by device_type
 * (drivers/of/fdt.c, early_init_dt_scan_memory). */
static int next_memory(const void *fdt, int node)
{
	static const char memory[] = "memory";
	const void *type;
	int len;

	for (; node >= 0; node = fdt_next_subnode(fdt, node)) {
		type = fdt_getprop(fdt, node, "device_type", &len);
		if (type && len == sizeof(memory) &&
		    !memcmp(type, memory, sizeof(memory)))
			return node;
	}
	return node;
}

/* Put v into n (1 or 2) big-endian cells; false if it does not fit. */
static bool put_cells(fdt32_t *cells, int n, uint64_t v)
{
	if (n == 1 && v > UINT32_MAX)
		return false;
	if (n == 2)
		*cells++ = cpu_to_fdt32((uint32_t)(v >> 32));
	*cells = cpu_to_fdt32((uint32_t)v);
	return true;
}

/* The memory reg in the root's own cell sizes (DT spec 2.3.5, 2.3.6). */
static int memory_reg(const void *fdt, const struct arm64_fdt_cfg *cfg,
		      fdt32_t *reg, struct cellvm_err *err)
{
	int ac = fdt_address_cells(fdt, 0), sc = fdt_size_cells(fdt, 0);

	if (ac < 1 || ac > 2 || sc < 1 || sc > 2)
		return dtb_err(cfg, err, -EINVAL,
				      "root #address-cells/#size-cells "
				      "%d/%d not supported (want 1 or 2)",
				      ac, sc);
	if (!put_cells(reg, ac, cfg->mem_base) ||
	    !put_cells(reg + ac, sc, cfg->mem_size))
		return dtb_err(cfg, err, -EINVAL,
				      "root #address-cells/#size-cells "
				      "%d/%d cannot hold memory 0x%llx+0x%llx",
				      ac, sc, ull(cfg->mem_base),
				      ull(cfg->mem_size));
	return (ac + sc) * (int)sizeof(fdt32_t);
}

/* Keep the first memory node (renamed for the new base), drop the rest;
 * create one when there is none. Returns a libfdt code. */
static int patch_memory(void *fdt, const struct arm64_fdt_cfg *cfg,
			const fdt32_t *reg, int reg_len)
{
	char name[FDT_NAME_MAX];
	int first, next, ret;

	snprintf(name, sizeof(name), "memory@%llx", ull(cfg->mem_base));
	first = next_memory(fdt, fdt_first_subnode(fdt, 0));
	if (first == -FDT_ERR_NOTFOUND) {
		first = fdt_add_subnode(fdt, 0, name);
		if (first < 0)
			return first;
		ret = fdt_setprop_string(fdt, first, "device_type", "memory");
		return ret ? ret : fdt_setprop(fdt, first, "reg", reg, reg_len);
	}
	if (first < 0)
		return first;
	/* Deleting moves what follows, so search again after each one. */
	while ((next = next_memory(fdt, fdt_next_subnode(fdt, first))) >= 0) {
		ret = fdt_del_node(fdt, next);
		if (ret)
			return ret;
	}
	if (next != -FDT_ERR_NOTFOUND)
		return next;
	ret = fdt_setprop(fdt, first, "reg", reg, reg_len);
	return ret ? ret : fdt_set_name(fdt, first, name);
}

static int malformed(const struct arm64_fdt_cfg *cfg, int ret,
		     struct cellvm_err *err)
{
	return dtb_err(cfg, err, -EINVAL,
			      "malformed (libfdt: %s)", fdt_strerror(ret));
}

/*
 * fdt_check_full() with a guard in front. Debian's libfdt 1.6.1 can spin
 * for ever in fdt_check_full() on a structure block whose tags do not move
 * forward (fuzz_dtb found two such blobs; docs/fuzzing.md): walk the tags
 * first and refuse the blob unless every tag advances, which bounds the
 * walk by the block's size (devicetree spec v0.4, 5.4: tags are 32-bit
 * aligned and follow one another).
 */
static int check_full(const void *buf, size_t bufsize)
{
	int offset, next = 0, ret;
	uint32_t tag;

	/* The header's own bounds first, as fdt_check_full() does. */
	if (bufsize < FDT_V1_SIZE || bufsize < fdt_header_size(buf))
		return -FDT_ERR_TRUNCATED;
	ret = fdt_check_header(buf);
	if (ret)
		return ret;
	if (fdt_totalsize(buf) > bufsize)
		return -FDT_ERR_TRUNCATED;
	do {
		offset = next;
		tag = fdt_next_tag(buf, offset, &next);
		if (next < 0)
			return next;
		if (next <= offset)
			return -FDT_ERR_BADSTRUCTURE;
	} while (tag != FDT_END);
	return fdt_check_full(buf, bufsize);
}

int arm64_fdt_patch(void *buf, size_t bufsize,
		    const struct arm64_fdt_cfg *cfg, struct cellvm_err *err)
{
	size_t room = bufsize;
	fdt32_t reg[4];
	int ret, reg_len;

	if (!buf)
		return dtb_err(cfg, err, -EINVAL,
				      "missing");
	ret = check_seed(cfg, err);
	if (ret)
		return ret;
	/* Header, block bounds and the whole structure block. */
	ret = check_full(buf, bufsize);
	if (ret)
		return malformed(cfg, ret, err);
	if (fdt_totalsize(buf) > ARM64_DTB_MAX_SIZE)
		return dtb_err(cfg, err, -E2BIG,
				      "(%u bytes) larger than 2 MiB",
				      fdt_totalsize(buf));
	/* booting.rst 2: nothing past 2 MiB is any use. */
	if (room > ARM64_DTB_MAX_SIZE)
		room = ARM64_DTB_MAX_SIZE;
	reg_len = memory_reg(buf, cfg, reg, err);
	if (reg_len < 0)
		return reg_len;
	ret = fdt_open_into(buf, buf, (int)room);
	if (ret)
		return patch_fail(cfg, ret, "opening it", room, err);
	/*
	 * Opening converts older versions to v17, whose string-table bounds
	 * are stricter: a v16 blob can pass the first check and fail now.
	 */
	ret = check_full(buf, room);
	if (ret)
		return malformed(cfg, ret, err);
	/* Memory first: should a node both be /chosen and claim to be
	 * memory, it becomes the memory node and a new /chosen is made. */
	ret = patch_memory(buf, cfg, reg, reg_len);
	if (ret)
		return patch_fail(cfg, ret, "setting the memory node", room, err);
	ret = patch_chosen(buf, cfg);
	if (ret)
		return patch_fail(cfg, ret, "setting /chosen", room, err);
	ret = fdt_pack(buf);
	if (ret)
		return patch_fail(cfg, ret, "packing it", room, err);
	/* What the kernel gets must pass the same check. */
	ret = check_full(buf, room);
	return ret ? malformed(cfg, ret, err) : 0;
}
