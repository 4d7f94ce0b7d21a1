// SPDX-License-Identifier: MIT
/*
 * ARM PrimeCell General Purpose Input/Output (PL061), after ARM DDI 0190
 * "ARM PrimeCell General Purpose Input/Output (PL061) Technical Reference
 * Manual"; its registers are in chapter 3 ("Programmer's Model": 3.2
 * summary, 3.3 descriptions), cited below by register name.
 *
 * Emulated: eight pins with their direction (GPIODIR), the masked data
 * register (GPIODATA: address bits [9:2] select the pins an access
 * touches), interrupt sense, both-edges and event (GPIOIS, GPIOIBE,
 * GPIOIEV), the mask (GPIOIE), raw and masked status (GPIORIS, GPIOMIS),
 * the edge clear (GPIOIC), GPIOINTR as one level-sensitive line =
 * OR of GPIOMIS, and the peripheral and PrimeCell ID registers. A pin's
 * level is the host's input for an input pin, the data register for an
 * output pin; edges are detected on that level whatever the direction.
 *
 * The host drives input pins (pl061_set_input): cellvm wires a power key
 * to one of them and describes it with a gpio-keys node, as QEMU's virt
 * board does (pin 3, KEY_POWER), so a guest sees "the power button was
 * pressed" as an input event.
 *
 * Not emulated: the alternate function select (GPIOAFSEL) is stored and
 * has no effect (nothing else drives the pins); the test registers
 * (GPIOITCR, GPIOITIP1-2, GPIOITOP1-3, 3.3.19 and after) read as zero.
 * The registers are 8 bits wide in 32-bit words (3.2); Linux's driver
 * uses byte accesses, so accesses of 1, 2 or 4 bytes at a word-aligned
 * offset reach them (bits above 7 read as zero, writes ignore them).
 * Other accesses read as zero and are ignored, with a rate-limited
 * warning, as are unknown offsets and writes to read-only registers.
 *
 * State (struct pl061_state, pl061_save/pl061_restore): every register
 * plus the host's input levels and the levels last seen for edges.
 *
 * Device-tree nodes (base and interrupt from the VM's layout; the second
 * only with a power pin):
 *
 *	pl061@9030000 {
 *		compatible = "arm,pl061", "arm,primecell";
 *		reg = <0x0 0x9030000 0x0 0x1000>;
 *		interrupts = <GIC_SPI 7 IRQ_TYPE_LEVEL_HIGH>;
 *		clock-names = "apb_pclk";
 *		clocks = <&apb_pclk>;
 *		gpio-controller;
 *		#gpio-cells = <2>;
 *		phandle = <&gpio>;
 *	};
 *	gpio-keys {
 *		compatible = "gpio-keys";
 *		poweroff {
 *			label = "GPIO Key Poweroff";
 *			linux,code = <116>;		(KEY_POWER)
 *			gpios = <&gpio 3 0>;		(active high)
 *		};
 *	};
 *
 * Bindings: Linux Documentation/devicetree/bindings/gpio/pl061-gpio.yaml
 * and input/gpio-keys.yaml.
 *
 * Locking: `lock` guards everything; the line is driven under it, so it
 * always follows the registers.
 */
#include <errno.h>
#include <inttypes.h>
#include <libfdt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "core/bytes.h"
#include "dev/pl061.h"
#include "cellvm/cellvm.h"
#include "dev/primecell.h"

#define PL061_SUBSYS "pl061"

/* Register offsets (TRM 3.2, "Summary of PrimeGPIO registers"). */
#define PL061_DATA 0x000 /* 0x000-0x3fc: the data register, masked */
#define PL061_DATA_END 0x400
#define PL061_DIR 0x400 /* data direction */
#define PL061_IS 0x404 /* interrupt sense */
#define PL061_IBE 0x408 /* interrupt both edges */
#define PL061_IEV 0x40c /* interrupt event */
#define PL061_IE 0x410 /* interrupt mask */
#define PL061_RIS 0x414 /* raw interrupt status, read-only */
#define PL061_MIS 0x418 /* masked interrupt status, read-only */
#define PL061_IC 0x41c /* interrupt clear, write-only */
#define PL061_AFSEL 0x420 /* mode control (alternate function) */

/* 3.3.1: GPIODATA's mask is PADDR[9:2]. */
#define PL061_DATA_MASK_SHIFT 2
#define PL061_PINS_MASK 0xffu
#define PL061_REG_ALIGN 4u

/*
 * GPIOPeriphID0-3 (3.3.11-3.3.14: part 0x061, designer 0x41 'A',
 * revision 0), least significant byte first; GPIOPCellID0-3 (3.3.15-
 * 3.3.18) are every PrimeCell's. Linux matches 0x00041061 under mask
 * 0x000fffff (gpio-pl061.c).
 */
#define PL061_PERIPH_ID 0x00041061u

struct pl061 {
	pthread_mutex_t lock;
	struct pl061_host host;
	struct pl061_state st;
	bool irq_driven; /* level last put on the line */
	_Atomic uint64_t irqs; /* times the line rose (metrics) */
	struct cellvm_ratelimit rl;
};

static void warn_access(struct pl061 *g, const char *what, uint64_t offset)
{
	cellvm_log_ratelimited(g->host.log, &g->rl, CELLVM_LOG_WARN,
			       PL061_SUBSYS, "%s at offset 0x%03" PRIx64
			       " ignored", what, offset);
}

/* The pins' levels: outputs drive data, inputs follow the host. */
static uint8_t pin_levels(const struct pl061_state *s)
{
	return (uint8_t)((s->dir & s->data) | (~s->dir & s->in));
}

/*
 * GPIORIS (3.3.7): an edge-sensitive pin (GPIOIS 0) latches on the edge
 * GPIOIBE/GPIOIEV select (3.3.4, 3.3.5) until GPIOIC clears it; a
 * level-sensitive one reads 1 while its level is the one GPIOIEV names.
 */
static uint8_t raw_status(const struct pl061_state *s)
{
	uint8_t level = pin_levels(s);
	uint8_t level_hit = (uint8_t)(s->is & ~(level ^ s->iev));

	return (uint8_t)((s->edge_ris & ~s->is) | level_hit);
}

/* Latch the edges since the last check, then put GPIOINTR (= any bit
 * of GPIOMIS, 3.3.8) on the line when it changes. */
static void update(struct pl061 *g)
{
	struct pl061_state *s = &g->st;
	uint8_t level = pin_levels(s);
	uint8_t changed = level ^ s->old_level;
	uint8_t rising = changed & level, falling = changed & ~level;
	uint8_t hit;
	bool line;
	int ret;

	hit = (uint8_t)((s->ibe & changed) |
			(~s->ibe & ((s->iev & rising) | (~s->iev & falling))));
	s->edge_ris |= (uint8_t)(hit & ~s->is);
	s->old_level = level;
	line = (raw_status(s) & s->ie) != 0;
	if (line == g->irq_driven)
		return;
	g->irq_driven = line;
	if (line)
		atomic_fetch_add_explicit(&g->irqs, 1, memory_order_relaxed);
	ret = g->host.irq.chip ? cellvm_irq_set(&g->host.irq, line) : 0;
	if (ret)
		cellvm_log_ratelimited(g->host.log, &g->rl, CELLVM_LOG_WARN,
				       PL061_SUBSYS, "setting irq %u to %d: %d",
				       g->host.irq.line, line, ret);
}

static uint32_t reg_read(struct pl061 *g, uint64_t reg)
{
	const struct pl061_state *s = &g->st;

	if (reg < PL061_DATA_END)
		return pin_levels(s) & (uint32_t)(reg >> PL061_DATA_MASK_SHIFT);
	if (primecell_is_id_reg(reg))
		return primecell_id_read(PL061_PERIPH_ID, reg);
	switch (reg) {
	case PL061_DIR:
		return s->dir;
	case PL061_IS:
		return s->is;
	case PL061_IBE:
		return s->ibe;
	case PL061_IEV:
		return s->iev;
	case PL061_IE:
		return s->ie;
	case PL061_RIS:
		return raw_status(s);
	case PL061_MIS:
		return raw_status(s) & s->ie;
	case PL061_AFSEL:
		return s->afsel;
	case PL061_IC:
		warn_access(g, "read of write-only GPIOIC", reg);
		return 0;
	default:
		warn_access(g, "read of unknown register", reg);
		return 0;
	}
}

static void reg_write(struct pl061 *g, uint64_t reg, uint8_t v)
{
	struct pl061_state *s = &g->st;
	uint8_t mask;

	if (reg < PL061_DATA_END) {
		/* 3.3.1: only the addressed output pins change. */
		mask = (uint8_t)(reg >> PL061_DATA_MASK_SHIFT) & s->dir;
		s->data = (uint8_t)((s->data & ~mask) | (v & mask));
		return;
	}
	switch (reg) {
	case PL061_DIR: s->dir = v; break;
	case PL061_IS: s->is = v; break;
	case PL061_IBE: s->ibe = v; break;
	case PL061_IEV: s->iev = v; break;
	case PL061_IE: s->ie = v; break;
	case PL061_AFSEL: s->afsel = v; break;
	case PL061_IC: /* 3.3.9: clears edge-detected bits only */
		s->edge_ris &= (uint8_t)~v;
		break;
	case PL061_RIS:
	case PL061_MIS:
		warn_access(g, "write to read-only register", reg);
		break;
	default:
		if (primecell_is_id_reg(reg))
			warn_access(g, "write to read-only ID register", reg);
		else
			warn_access(g, "write to unknown register", reg);
		break;
	}
}

static bool access_ok(struct pl061 *g, const struct cellvm_access_info *a)
{
	if ((a->size == 1 || a->size == 2 || a->size == 4) &&
	    !(a->offset % PL061_REG_ALIGN))
		return true;
	cellvm_log_ratelimited(g->host.log, &g->rl, CELLVM_LOG_WARN,
			       PL061_SUBSYS,
			       "%u-byte access at offset 0x%03" PRIx64
			       " ignored (registers are word-aligned)",
			       a->size, a->offset);
	return false;
}

static uint64_t pl061_mmio_read(void *opaque,
				const struct cellvm_access_info *a)
{
	struct pl061 *g = opaque;
	uint32_t v = 0;

	pthread_mutex_lock(&g->lock);
	if (access_ok(g, a))
		v = reg_read(g, a->offset);
	pthread_mutex_unlock(&g->lock);
	return v;
}

static void pl061_mmio_write(void *opaque, const struct cellvm_access_info *a,
			     uint64_t value)
{
	struct pl061 *g = opaque;

	pthread_mutex_lock(&g->lock);
	if (access_ok(g, a)) {
		reg_write(g, a->offset, (uint8_t)(value & PL061_PINS_MASK));
		update(g);
	}
	pthread_mutex_unlock(&g->lock);
}

/* The gpio-keys node: one key, KEY_POWER, on `pin`, active high. */
static int keys_node(void *fdt, uint32_t phandle, int pin)
{
	fdt32_t gpios[3] = { cpu_to_fdt32(phandle), cpu_to_fdt32((uint32_t)pin),
			     cpu_to_fdt32(0) /* GPIO_ACTIVE_HIGH */ };
	int ret;

	ret = fdt_begin_node(fdt, "gpio-keys");
	if (!ret)
		ret = fdt_property_string(fdt, "compatible", "gpio-keys");
	if (!ret)
		ret = fdt_begin_node(fdt, "poweroff");
	if (!ret)
		ret = fdt_property_string(fdt, "label", "GPIO Key Poweroff");
	if (!ret)
		ret = fdt_property_u32(fdt, "linux,code", PL061_KEY_POWER);
	if (!ret)
		ret = fdt_property(fdt, "gpios", gpios, sizeof(gpios));
	if (!ret)
		ret = fdt_end_node(fdt);
	if (!ret)
		ret = fdt_end_node(fdt);
	return ret;
}

static int pl061_fdt_node(void *opaque, const struct cellvm_fdt_ctx *ctx,
			  uint64_t base, uint64_t size)
{
	static const char compat[] = "arm,pl061\0arm,primecell";
	static const char clock_names[] = "apb_pclk";
	struct pl061 *g = opaque;
	uint32_t phandle;
	int ret;

	if (!ctx->fdt || !ctx->phandle_alloc)
		return -EINVAL;
	phandle = ctx->phandle_alloc(ctx);
	ret = primecell_fdt_begin(ctx, "pl061", base, size, compat,
				  sizeof(compat), clock_names,
				  sizeof(clock_names), g->host.irq.line);
	if (ret)
		return ret;
	/* pl061-gpio.yaml: a controller with (pin, flags) specifiers. */
	ret = fdt_property(ctx->fdt, "gpio-controller", NULL, 0);
	if (!ret)
		ret = fdt_property_u32(ctx->fdt, "#gpio-cells", 2);
	if (!ret)
		ret = fdt_property_u32(ctx->fdt, "phandle", phandle);
	if (!ret)
		ret = fdt_end_node(ctx->fdt);
	if (!ret && g->host.power_pin != PL061_NO_KEY)
		ret = keys_node(ctx->fdt, phandle, g->host.power_pin);
	return fdt_to_errno(ret);
}

/* Metrics: the interrupts this device raised (cellvm_vm_counters()). */
static void pl061_counters(void *opaque, struct cellvm_dev_counters *out)
{
	struct pl061 *g = opaque;

	out->irqs = atomic_load(&g->irqs);
}

const struct cellvm_mmio_ops pl061_mmio_ops = {
	.read = pl061_mmio_read,
	.write = pl061_mmio_write,
	.fdt_node = pl061_fdt_node,
	.counters = pl061_counters,
};

int pl061_set_input(struct pl061 *g, unsigned pin, bool level)
{
	uint8_t bit;

	if (!g || pin >= PL061_NR_PINS)
		return -EINVAL;
	bit = (uint8_t)(1u << pin);
	pthread_mutex_lock(&g->lock);
	g->st.in = (uint8_t)(level ? g->st.in | bit : g->st.in & ~bit);
	update(g);
	pthread_mutex_unlock(&g->lock);
	return 0;
}

bool pl061_irq_level(struct pl061 *g)
{
	bool level;

	pthread_mutex_lock(&g->lock);
	level = g->irq_driven;
	pthread_mutex_unlock(&g->lock);
	return level;
}

void pl061_save(struct pl061 *g, struct pl061_state *out)
{
	pthread_mutex_lock(&g->lock);
	*out = g->st;
	pthread_mutex_unlock(&g->lock);
}

int pl061_restore(struct pl061 *g, const struct pl061_state *st)
{
	if (!g || !st)
		return -EINVAL;
	pthread_mutex_lock(&g->lock);
	g->st = *st;
	update(g);
	pthread_mutex_unlock(&g->lock);
	return 0;
}

int pl061_create(const struct pl061_host *host, struct pl061 **out)
{
	struct pl061 *g;
	int ret;

	if (!host || !out ||
	    (host->power_pin != PL061_NO_KEY &&
	     (host->power_pin < 0 || host->power_pin >= PL061_NR_PINS)))
		return -EINVAL;
	/* Reset (3.3): every register 0, all pins inputs, all masked. */
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	ret = pthread_mutex_init(&g->lock, NULL);
	if (ret) {
		free(g);
		return -ret;
	}
	g->host = *host;
	*out = g;
	return 0;
}

void pl061_destroy(struct pl061 *g)
{
	if (!g)
		return;
	pthread_mutex_destroy(&g->lock);
	free(g);
}
