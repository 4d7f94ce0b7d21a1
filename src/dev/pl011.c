// SPDX-License-Identifier: MIT
/*
 * ARM PrimeCell UART (PL011), after ARM DDI 0183 "PrimeCell UART (PL011)
 * Technical Reference Manual" r1p5; register descriptions are in its
 * chapter 3 ("Programmers Model"), cited below by register name.
 *
 * Emulated: the receive FIFO (32 entries with UARTLCR_H.FEN set, a
 * one-entry holding register without), UARTDR, UARTRSR/UARTECR, UARTFR,
 * UARTILPR, UARTIBRD, UARTFBRD, UARTLCR_H, UARTCR (UARTEN and RXE gate
 * reception, LBE loops transmitted bytes back into the receive FIFO),
 * UARTIFLS (receive trigger level), UARTIMSC, UARTRIS, UARTMIS, UARTICR,
 * the peripheral and PrimeCell ID registers, and the combined interrupt
 * UARTINTR as one level-sensitive line.
 *
 * Not emulated: baud rate, framing and IrDA (the divisors and UARTLCR_H
 * are stored and read back, nothing else); receive errors, break and
 * overrun (the host only offers what fits, so nothing is ever lost); DMA
 * (UARTDMACR reads as zero, writes are ignored); modem control (CTS, DSR
 * and DCD always read as asserted, as with a connected terminal, and no
 * modem interrupt is ever raised); the test registers.
 *
 * Time: the model has no clock. A transmitted byte leaves at once, so the
 * transmit FIFO is always empty: UARTFR.TXFE is set, TXFF and BUSY never
 * are. The receive timeout (32 bit periods without new data) is taken to
 * expire at once: RTRIS is raised whenever data sits in the FIFO below
 * the trigger level after a receive or a read.
 *
 * Transmission does not check UARTCR.UARTEN/TXE: the kernel's earlycon
 * writes UARTDR of a UART that firmware would have enabled, and there is
 * no firmware here. Reception does check them (UARTCR, RXE).
 *
 * Device-tree node (base and interrupt from the VM's layout):
 *
 *	pl011@9000000 {
 *		compatible = "arm,pl011", "arm,primecell";
 *		reg = <0x0 0x9000000 0x0 0x1000>;
 *		interrupts = <GIC_SPI 1 IRQ_TYPE_LEVEL_HIGH>;
 *		clock-names = "uartclk", "apb_pclk";
 *		clocks = <&apb_pclk>, <&apb_pclk>;
 *	};
 *
 * Locking: `lock` guards the registers and the FIFO. The host hooks and
 * the interrupt line are driven after it is dropped: each access records
 * what to do in a struct pl011_fx and does it on the way out. The line is
 * driven under `irq_lock`, reading the level the registers want at that
 * moment, so racing accesses cannot leave a stale level on the line.
 * Lock order: irq_lock, then lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#include "dev/pl011.h"
#include "cellvm/cellvm.h"
#include "dev/primecell.h"

#define PL011_SUBSYS "pl011"
#define PL011_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Register offsets (TRM 3.2, "Summary of registers"). */
#define PL011_DR 0x000
#define PL011_RSR_ECR 0x004 /* read: UARTRSR, write: UARTECR */
#define PL011_FR 0x018
#define PL011_ILPR 0x020
#define PL011_IBRD 0x024
#define PL011_FBRD 0x028
#define PL011_LCR_H 0x02c
#define PL011_CR 0x030
#define PL011_IFLS 0x034
#define PL011_IMSC 0x038
#define PL011_RIS 0x03c
#define PL011_MIS 0x040
#define PL011_ICR 0x044
#define PL011_DMACR 0x048

/* Implemented widths of the stored registers (TRM 3.3). */
#define PL011_ILPR_MASK 0xffu
#define PL011_IBRD_MASK 0xffffu
#define PL011_FBRD_MASK 0x3fu
#define PL011_LCR_H_MASK 0xffu
#define PL011_CR_MASK 0xffffu
#define PL011_IFLS_MASK 0x3fu
#define PL011_INT_MASK 0x7ffu /* IMSC, RIS, MIS, ICR */

/* UARTDR: data in 7:0, receive error flags in 11:8 (always 0 here). */
#define PL011_DR_DATA 0xffu

/* UARTFR bits. CTS/DSR/DCD are the complements of the modem inputs. */
#define PL011_FR_CTS (1u << 0)
#define PL011_FR_DSR (1u << 1)
#define PL011_FR_DCD (1u << 2)
#define PL011_FR_BUSY (1u << 3)
#define PL011_FR_RXFE (1u << 4)
#define PL011_FR_TXFF (1u << 5)
#define PL011_FR_RXFF (1u << 6)
#define PL011_FR_TXFE (1u << 7)

/* UARTLCR_H.FEN: FIFOs enabled. */
#define PL011_LCR_H_FEN (1u << 4)

/* UARTCR bits; reset value has TXE and RXE set, UARTEN clear. */
#define PL011_CR_UARTEN (1u << 0)
#define PL011_CR_LBE (1u << 7)
#define PL011_CR_TXE (1u << 8)
#define PL011_CR_RXE (1u << 9)
#define PL011_CR_RESET (PL011_CR_TXE | PL011_CR_RXE)

/* UARTIFLS: RXIFLSEL in bits 5:3; reset value 0x12 (both at 1/2). */
#define PL011_IFLS_RX_SHIFT 3
#define PL011_IFLS_RX_MASK 0x7u
#define PL011_IFLS_RESET 0x12u

/* Interrupt bits, the same in UARTIMSC, UARTRIS, UARTMIS and UARTICR. */
#define PL011_INT_RX (1u << 4)
#define PL011_INT_TX (1u << 5)
#define PL011_INT_RT (1u << 6)

/*
 * UARTPeriphID0-3 (part 0x011, designer 0x41 'A', revision 1), least
 * significant byte first; UARTPCellID0-3 are every PrimeCell's.
 */
#define PL011_PERIPH_ID 0x00141011u

/*
 * Receive trigger level in eighths of the FIFO by UARTIFLS.RXIFLSEL
 * (TRM 3.3, UARTIFLS): 1/8, 1/4, 1/2, 3/4, 7/8. The reserved encodings
 * 5..7 are taken as 1/2, the reset value.
 */
static const uint8_t pl011_rx_trigger_eighths[] = { 1, 2, 4, 6, 7 };

struct pl011 {
	pthread_mutex_t lock;
	pthread_mutex_t irq_lock;
	struct pl011_host host;

	/* Guarded by lock. */
	uint8_t rx_fifo[PL011_FIFO_DEPTH];
	unsigned rx_head; /* index of the oldest byte */
	unsigned rx_count;
	uint32_t ilpr, ibrd, fbrd, lcr_h, cr, ifls, imsc, ris;
	bool rx_starved; /* the host's last offer was cut short */
	bool irq_want; /* (RIS & IMSC) != 0 */
	uint64_t tx_count;
	struct cellvm_ratelimit rl;

	/* Guarded by irq_lock. */
	bool irq_driven; /* level last put on the line */
	_Atomic uint64_t irqs; /* times the line rose (metrics) */
	struct cellvm_ratelimit irq_rl;
};

/* What an access asks for once the lock is dropped. */
struct pl011_fx {
	bool tx;
	uint8_t tx_byte;
	bool irq; /* the wanted line level changed */
	bool rx_ready;
};

/* Registers that just hold what is written, within their widths. */
static const struct pl011_plain_reg {
	uint64_t reg;
	size_t field; /* offset of the uint32_t in struct pl011 */
	uint32_t width;
} pl011_plain_regs[] = {
	{ PL011_ILPR, offsetof(struct pl011, ilpr), PL011_ILPR_MASK },
	{ PL011_IBRD, offsetof(struct pl011, ibrd), PL011_IBRD_MASK },
	{ PL011_FBRD, offsetof(struct pl011, fbrd), PL011_FBRD_MASK },
	{ PL011_LCR_H, offsetof(struct pl011, lcr_h), PL011_LCR_H_MASK },
	{ PL011_CR, offsetof(struct pl011, cr), PL011_CR_MASK },
	{ PL011_IFLS, offsetof(struct pl011, ifls), PL011_IFLS_MASK },
	{ PL011_IMSC, offsetof(struct pl011, imsc), PL011_INT_MASK },
};

/* The storage of a plain register, or NULL. */
static uint32_t *plain_reg(struct pl011 *u, uint64_t reg, uint32_t *width)
{
	size_t i;

	for (i = 0; i < PL011_NELEM(pl011_plain_regs); i++) {
		if (pl011_plain_regs[i].reg == reg) {
			*width = pl011_plain_regs[i].width;
			return (uint32_t *)((char *)u +
					    pl011_plain_regs[i].field);
		}
	}
	return NULL;
}

static unsigned rx_capacity(const struct pl011 *u)
{
	return (u->lcr_h & PL011_LCR_H_FEN) ? PL011_FIFO_DEPTH : 1;
}

/* FIFO level at or above which RXRIS is raised. */
static unsigned rx_trigger(const struct pl011 *u)
{
	unsigned sel = (u->ifls >> PL011_IFLS_RX_SHIFT) & PL011_IFLS_RX_MASK;
	unsigned eighths = 4;

	/* Without FIFOs the holding register interrupts when full. */
	if (!(u->lcr_h & PL011_LCR_H_FEN))
		return 1;
	if (sel < PL011_NELEM(pl011_rx_trigger_eighths))
		eighths = pl011_rx_trigger_eighths[sel];
	return PL011_FIFO_DEPTH * eighths / 8;
}

static bool rx_enabled(const struct pl011 *u)
{
	return (u->cr & PL011_CR_UARTEN) && (u->cr & PL011_CR_RXE);
}

static bool rx_can_accept(const struct pl011 *u)
{
	return rx_enabled(u) && u->rx_count < rx_capacity(u);
}

static void rx_push(struct pl011 *u, uint8_t byte)
{
	u->rx_fifo[(u->rx_head + u->rx_count) % PL011_FIFO_DEPTH] = byte;
	u->rx_count++;
}

/*
 * Raise the receive interrupts after new data arrived (TRM, UARTRXINTR
 * and UARTRTINTR): RX at the trigger level, otherwise the timeout, which
 * expires at once here.
 */
static void rx_raise(struct pl011 *u)
{
	if (u->rx_count >= rx_trigger(u))
		u->ris |= PL011_INT_RX;
	else if (u->rx_count)
		u->ris |= PL011_INT_RT;
}

/*
 * Take the oldest byte. RX clears below the trigger level, RT when the
 * FIFO empties; data left below the level raises RT again (the timeout).
 */
static uint32_t rx_pop(struct pl011 *u)
{
	uint8_t byte;

	if (!u->rx_count)
		return 0;
	byte = u->rx_fifo[u->rx_head];
	u->rx_head = (u->rx_head + 1) % PL011_FIFO_DEPTH;
	u->rx_count--;
	if (u->rx_count < rx_trigger(u))
		u->ris &= ~PL011_INT_RX;
	if (!u->rx_count)
		u->ris &= ~PL011_INT_RT;
	else if (u->rx_count < rx_trigger(u))
		u->ris |= PL011_INT_RT;
	return byte;
}

static uint32_t fr_read(const struct pl011 *u)
{
	uint32_t fr = PL011_FR_TXFE | PL011_FR_CTS | PL011_FR_DSR |
		      PL011_FR_DCD;

	if (!u->rx_count)
		fr |= PL011_FR_RXFE;
	if (u->rx_count >= rx_capacity(u))
		fr |= PL011_FR_RXFF;
	return fr;
}

/*
 * UARTDR write: the byte goes to the host, or with UARTCR.LBE set back
 * into the receive FIFO (dropped when that cannot take it). The transmit
 * FIFO empties at once, which is what raises TXRIS (TRM, UARTTXINTR: the
 * interrupt is set when written data has left, not before any write).
 */
static void dr_write(struct pl011 *u, uint32_t v, struct pl011_fx *fx)
{
	uint8_t byte = v & PL011_DR_DATA;

	if (u->cr & PL011_CR_LBE) {
		if (rx_can_accept(u)) {
			rx_push(u, byte);
			rx_raise(u);
		}
	} else {
		fx->tx = true;
		fx->tx_byte = byte;
		u->tx_count++;
	}
	u->ris |= PL011_INT_TX;
}

static void warn_access(struct pl011 *u, const char *what, uint64_t offset)
{
	cellvm_log_ratelimited(u->host.log, &u->rl, CELLVM_LOG_WARN,
			       PL011_SUBSYS, "%s at offset 0x%03" PRIx64
			       " ignored", what, offset);
}

static uint32_t reg_read(struct pl011 *u, uint64_t reg)
{
	uint32_t width, *r = plain_reg(u, reg, &width);

	if (r)
		return *r;
	if (primecell_is_id_reg(reg))
		return primecell_id_read(PL011_PERIPH_ID, reg);
	switch (reg) {
	case PL011_DR:
		return rx_pop(u);
	case PL011_RSR_ECR: /* no receive errors are ever recorded */
	case PL011_DMACR:
		return 0;
	case PL011_FR:
		return fr_read(u);
	case PL011_RIS:
		return u->ris;
	case PL011_MIS:
		return u->ris & u->imsc;
	case PL011_ICR:
		warn_access(u, "read of write-only UARTICR", reg);
		return 0;
	default:
		warn_access(u, "read of unknown register", reg);
		return 0;
	}
}

/* v is already shifted to its byte lanes and masked by `lanes`. */
static void reg_write(struct pl011 *u, uint64_t reg, uint32_t v,
		      uint32_t lanes, struct pl011_fx *fx)
{
	uint32_t width, *r = plain_reg(u, reg, &width);

	/* A narrow write changes only its byte lanes. */
	if (r) {
		*r = ((*r & ~lanes) | v) & width;
		return;
	}
	switch (reg) {
	case PL011_DR:
		dr_write(u, v, fx);
		break;
	case PL011_RSR_ECR: /* UARTECR: clears errors, of which there are none */
	case PL011_DMACR:
		break;
	case PL011_ICR:
		u->ris &= ~(v & PL011_INT_MASK);
		break;
	case PL011_FR:
	case PL011_RIS:
	case PL011_MIS:
		warn_access(u, "write to read-only register", reg);
		break;
	default:
		if (primecell_is_id_reg(reg))
			warn_access(u, "write to read-only ID register", reg);
		else
			warn_access(u, "write to unknown register", reg);
		break;
	}
}

/*
 * Host input is held back until a reader waits for it: the guest has
 * unmasked its receive interrupts. Linux's driver drains and discards the
 * FIFO each time the port is opened (before it unmasks them), so bytes
 * offered earlier, say from a pipe or file on cellvm's stdin, would be
 * lost; real hardware loses what is typed before the port is open, a VMM
 * need not. A guest that only polls the UART gets no input.
 */
static bool rx_reader_waiting(const struct pl011 *u)
{
	return (u->imsc & (PL011_INT_RX | PL011_INT_RT)) != 0;
}

/*
 * End of an access, under the lock: note a change of the wanted line
 * level, and decide whether to ask the host for the input it could not
 * deliver: once reception is possible and a reader waits for data.
 */
static void finish(struct pl011 *u, struct pl011_fx *fx)
{
	bool want = (u->ris & u->imsc) != 0;

	if (want != u->irq_want) {
		u->irq_want = want;
		fx->irq = true;
	}
	if (u->rx_starved && rx_can_accept(u) && rx_reader_waiting(u)) {
		u->rx_starved = false;
		fx->rx_ready = true;
	}
}

/* Put the currently wanted level on the line if it is not there yet. */
static void sync_irq(struct pl011 *u)
{
	bool level;
	int ret;

	pthread_mutex_lock(&u->irq_lock);
	pthread_mutex_lock(&u->lock);
	level = u->irq_want;
	pthread_mutex_unlock(&u->lock);
	if (level != u->irq_driven) {
		u->irq_driven = level;
		if (level)
			atomic_fetch_add_explicit(&u->irqs, 1, memory_order_relaxed);
		ret = u->host.irq.chip ? cellvm_irq_set(&u->host.irq, level) :
					 0;
		if (ret)
			cellvm_log_ratelimited(u->host.log, &u->irq_rl,
					       CELLVM_LOG_WARN, PL011_SUBSYS,
					       "setting irq %u to %d: %d",
					       u->host.irq.line, level, ret);
	}
	pthread_mutex_unlock(&u->irq_lock);
}

/* Carry out what the access asked for; the lock is not held. */
static void apply(struct pl011 *u, const struct pl011_fx *fx)
{
	if (fx->tx && u->host.tx)
		u->host.tx(u->host.cb_opaque, &fx->tx_byte, 1);
	if (fx->irq)
		sync_irq(u);
	if (fx->rx_ready && u->host.rx_ready)
		u->host.rx_ready(u->host.cb_opaque);
}

/*
 * Accesses of any size address the 32-bit register holding offset; a
 * narrow access sees or changes only its byte lanes (Linux uses 32-bit
 * and, on some variants, 16-bit accesses).
 */
static unsigned lane_shift(uint64_t offset)
{
	return (unsigned)(offset & 3) * 8;
}

static uint64_t pl011_mmio_read(void *opaque,
				const struct cellvm_access_info *a)
{
	struct pl011 *u = opaque;
	uint64_t offset = a->offset;
	struct pl011_fx fx = { 0 };
	uint64_t reg = offset & ~(uint64_t)3;
	uint32_t v;

	pthread_mutex_lock(&u->lock);
	v = reg_read(u, reg);
	finish(u, &fx);
	pthread_mutex_unlock(&u->lock);
	apply(u, &fx);
	return v >> lane_shift(offset);
}

static void pl011_mmio_write(void *opaque, const struct cellvm_access_info *a,
			     uint64_t value)
{
	struct pl011 *u = opaque;
	uint64_t offset = a->offset;
	unsigned size = a->size;
	struct pl011_fx fx = { 0 };
	uint64_t reg = offset & ~(uint64_t)3;
	unsigned shift = lane_shift(offset);
	uint32_t lanes = size >= 4 ? UINT32_MAX : (1u << (8 * size)) - 1;

	lanes <<= shift;
	pthread_mutex_lock(&u->lock);
	reg_write(u, reg, (uint32_t)(value << shift) & lanes, lanes, &fx);
	finish(u, &fx);
	pthread_mutex_unlock(&u->lock);
	apply(u, &fx);
}

static int pl011_fdt_node(void *opaque, const struct cellvm_fdt_ctx *ctx,
			  uint64_t base, uint64_t size)
{
	static const char compat[] = "arm,pl011\0arm,primecell";
	static const char clock_names[] = "uartclk\0apb_pclk";
	struct pl011 *u = opaque;

	return primecell_fdt_node(ctx, "pl011", base, size, compat,
				  sizeof(compat), clock_names,
				  sizeof(clock_names), u->host.irq.line);
}

/* Metrics: the interrupts this device raised (cellvm_vm_counters()). */
static void pl011_counters(void *opaque, struct cellvm_dev_counters *out)
{
	struct pl011 *u = opaque;

	out->irqs = atomic_load(&u->irqs);
}

const struct cellvm_mmio_ops pl011_mmio_ops = {
	.read = pl011_mmio_read,
	.write = pl011_mmio_write,
	.fdt_node = pl011_fdt_node,
	.counters = pl011_counters,
};

size_t pl011_receive(void *opaque, const uint8_t *buf, size_t len)
{
	struct pl011 *u = opaque;
	struct pl011_fx fx = { 0 };
	size_t n = 0;

	if (!buf || !len)
		return 0;
	pthread_mutex_lock(&u->lock);
	while (n < len && rx_can_accept(u) && rx_reader_waiting(u))
		rx_push(u, buf[n++]);
	if (n)
		rx_raise(u);
	/* Remember to ask for the rest once there is room (finish()). */
	u->rx_starved = n < len;
	finish(u, &fx);
	pthread_mutex_unlock(&u->lock);
	apply(u, &fx);
	return n;
}

static void pl011_reset(struct pl011 *u)
{
	u->cr = PL011_CR_RESET;
	u->ifls = PL011_IFLS_RESET;
}

int pl011_create(const struct pl011_host *host, struct pl011 **out)
{
	struct pl011 *u;
	int ret;

	if (!host || !out)
		return -EINVAL;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	ret = pthread_mutex_init(&u->lock, NULL);
	if (ret)
		goto err_free;
	ret = pthread_mutex_init(&u->irq_lock, NULL);
	if (ret)
		goto err_lock;
	u->host = *host;
	pl011_reset(u);
	*out = u;
	return 0;

err_lock:
	pthread_mutex_destroy(&u->lock);
err_free:
	free(u);
	return -ret;
}

void pl011_destroy(struct pl011 *u)
{
	if (!u)
		return;
	pthread_mutex_destroy(&u->irq_lock);
	pthread_mutex_destroy(&u->lock);
	free(u);
}

uint64_t pl011_tx_count(struct pl011 *u)
{
	uint64_t n;

	pthread_mutex_lock(&u->lock);
	n = u->tx_count;
	pthread_mutex_unlock(&u->lock);
	return n;
}

unsigned pl011_rx_level(struct pl011 *u)
{
	unsigned n;

	pthread_mutex_lock(&u->lock);
	n = u->rx_count;
	pthread_mutex_unlock(&u->lock);
	return n;
}
