// SPDX-License-Identifier: MIT
/*
 * ARM PrimeCell Real Time Clock (PL031), after ARM DDI 0224 "ARM PrimeCell
 * Real Time Clock (PL031) Technical Reference Manual"; the registers are
 * in its chapter 3 ("Programmer's Model", 3.2 summary, 3.3 descriptions),
 * cited below by register name.
 *
 * Emulated: the 32-bit seconds counter (RTCDR), loading it (RTCLR), the
 * match register (RTCMR) and its interrupt (RTCIMSC, RTCRIS, RTCMIS,
 * RTCICR; RTCINTR as one level-sensitive line = RTCMIS), the start bit
 * (RTCCR), the peripheral and PrimeCell ID registers.
 *
 * The counter's oscillator is the host's UTC clock (CLOCK_REALTIME): the
 * counter reads (host UTC ns + offset_ns) / 10^9, truncated to 32 bits.
 * The offset starts at the previous boot's (0 on the first: the guest sees
 * host UTC) and changes only when the guest writes RTCLR; it is reported
 * to the VM (host->offset_changed) so a reboot keeps it.
 *
 * The match interrupt is computed, not polled: writing RTCMR or RTCLR
 * works out the host time at which the counter will next equal RTCMR and
 * asks the board for an alarm then (a timerfd on the event loop), which
 * latches RTCRIS and drives the line even while the guest sleeps. Every
 * register access first latches a match that is due, so a guest (or a
 * test with a fake clock and no timer) reading RTCRIS sees it too. A
 * match written equal to the current count fires at once (the counter
 * already equals it). After it fires, the next match is 2^32 s away and
 * no alarm is kept for it.
 *
 * Not emulated: stopping the counter. RTCCR.RTCStart is stored and, as
 * in the TRM, cannot be cleared by writing 0; the counter runs whatever
 * it says (there is no firmware here to start it, and Linux's driver sets
 * it anyway). The test registers (RTCITCR, RTCITIP, RTCITOP) read as zero.
 * Only aligned 32-bit accesses reach the registers (3.2: the registers
 * are 32 bits wide); others read as zero and are ignored, with a
 * rate-limited warning, as are unknown offsets.
 *
 * State (struct pl031_state, pl031_save/pl031_restore): the offset, the
 * next match time, RTCMR, RTCLR, RTCCR, RTCIMSC and RTCRIS.
 *
 * Device-tree node (base and interrupt from the VM's layout):
 *
 *	pl031@9010000 {
 *		compatible = "arm,pl031", "arm,primecell";
 *		reg = <0x0 0x9010000 0x0 0x1000>;
 *		interrupts = <GIC_SPI 2 IRQ_TYPE_LEVEL_HIGH>;
 *		clock-names = "apb_pclk";
 *		clocks = <&apb_pclk>;
 *	};
 *
 * Locking: `lock` guards everything; the host hooks (line, alarm,
 * offset) are called under it, so the line always follows the registers.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "dev/pl031.h"
#include "cellvm/cellvm.h"
#include "dev/primecell.h"

#define PL031_SUBSYS "pl031"

/* Register offsets (TRM 3.2, "Summary of RTC registers"). */
#define PL031_DR 0x000 /* data: the counter, read-only */
#define PL031_MR 0x004 /* match */
#define PL031_LR 0x008 /* load */
#define PL031_CR 0x00c /* control */
#define PL031_IMSC 0x010 /* interrupt mask set/clear */
#define PL031_RIS 0x014 /* raw interrupt status */
#define PL031_MIS 0x018 /* masked interrupt status */
#define PL031_ICR 0x01c /* interrupt clear, write-only */

/* RTCCR.RTCStart (3.3.4), RTCIMSC/RIS/MIS/ICR bit 0 (3.3.5-3.3.8). */
#define PL031_CR_START (1u << 0)
#define PL031_INT (1u << 0)

#define PL031_REG_SIZE 4u
#define NS_PER_S 1000000000LL
/* Offsets and clock readings are kept within +-2^62 ns (146 years) so
 * their sum cannot overflow; alarm times are only compared with clock
 * readings, so any value is safe. */
#define PL031_NS_LIMIT (1LL << 62)
#define PL031_WRAP_S (1LL << 32) /* the counter wraps after 2^32 s */

/*
 * RTCPeriphID0-3 (3.3.9: part 0x031, designer 0x41 'A', revision 0),
 * least significant byte first; RTCPCellID0-3 (3.3.10) are every
 * PrimeCell's. Linux matches 0x00041031 under mask 0x000fffff
 * (rtc-pl031.c).
 */
#define PL031_PERIPH_ID 0x00041031u

struct pl031 {
	pthread_mutex_t lock;
	struct pl031_host host;
	struct pl031_state st;
	bool irq_driven; /* level last put on the line */
	_Atomic uint64_t irqs; /* times the line rose (metrics) */
	struct cellvm_ratelimit rl;
};

static int64_t clamp_ns(int64_t v)
{
	if (v >= PL031_NS_LIMIT)
		return PL031_NS_LIMIT - 1;
	if (v <= -PL031_NS_LIMIT)
		return -PL031_NS_LIMIT + 1;
	return v;
}

static int64_t host_now(const struct pl031 *rtc)
{
	struct timespec ts;

	if (rtc->host.now_ns)
		return clamp_ns(rtc->host.now_ns(rtc->host.cb_opaque));
	if (clock_gettime(CLOCK_REALTIME, &ts))
		return 0;
	return clamp_ns((int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec);
}

/* Whole seconds of guest time at host time now (floor division). */
static int64_t guest_seconds(const struct pl031 *rtc, int64_t now)
{
	int64_t t = now + rtc->st.offset_ns;
	int64_t s = t / NS_PER_S;

	return (t % NS_PER_S < 0) ? s - 1 : s;
}

static uint32_t counter(const struct pl031 *rtc, int64_t now)
{
	return (uint32_t)guest_seconds(rtc, now);
}

static void warn_access(struct pl031 *rtc, const char *what, uint64_t offset)
{
	cellvm_log_ratelimited(rtc->host.log, &rtc->rl, CELLVM_LOG_WARN,
			       PL031_SUBSYS, "%s at offset 0x%03" PRIx64
			       " ignored", what, offset);
}

/* RTCINTR = RTCMIS (3.3.7): put it on the line when it changes. */
static void sync_irq(struct pl031 *rtc)
{
	bool level = (rtc->st.ris & rtc->st.imsc & PL031_INT) != 0;
	int ret;

	if (level == rtc->irq_driven)
		return;
	rtc->irq_driven = level;
	if (level)
		atomic_fetch_add_explicit(&rtc->irqs, 1, memory_order_relaxed);
	ret = rtc->host.irq.chip ? cellvm_irq_set(&rtc->host.irq, level) : 0;
	if (ret)
		cellvm_log_ratelimited(rtc->host.log, &rtc->rl,
				       CELLVM_LOG_WARN, PL031_SUBSYS,
				       "setting irq %u to %d: %d",
				       rtc->host.irq.line, level, ret);
}

static void set_alarm(struct pl031 *rtc, int64_t when)
{
	rtc->st.alarm_ns = when;
	if (rtc->host.set_alarm)
		rtc->host.set_alarm(rtc->host.cb_opaque, when);
}

/* Latch a match that is due (3.3.6: RTCRIS is set when the counter
 * equals RTCMR, whatever RTCIMSC says). */
static void catch_up(struct pl031 *rtc, int64_t now)
{
	if (rtc->st.alarm_ns == PL031_NO_ALARM || now < rtc->st.alarm_ns)
		return;
	rtc->st.ris |= PL031_INT;
	/* The next match is a whole counter wrap away. */
	set_alarm(rtc, PL031_NO_ALARM);
}

/*
 * RTCMR or the counter changed: when does the counter next equal RTCMR?
 * d seconds after the current second starts, d = (MR - count) mod 2^32;
 * d = 0: now.
 */
static void plan_match(struct pl031 *rtc, int64_t now)
{
	int64_t s = guest_seconds(rtc, now);
	uint32_t d = rtc->st.mr - (uint32_t)s;
	int64_t when;

	if (d == 0) {
		rtc->st.ris |= PL031_INT;
		set_alarm(rtc, PL031_NO_ALARM);
		return;
	}
	/* Out of range only with absurd clocks: then no alarm. */
	if (__builtin_mul_overflow(s + (int64_t)d, NS_PER_S, &when) ||
	    __builtin_sub_overflow(when, rtc->st.offset_ns, &when))
		when = PL031_NO_ALARM;
	set_alarm(rtc, when);
}

/* RTCLR write (3.3.3): the counter takes v now and counts on from it. */
static void load(struct pl031 *rtc, uint32_t v, int64_t now)
{
	rtc->st.lr = v;
	rtc->st.offset_ns = clamp_ns((int64_t)v * NS_PER_S - now);
	if (rtc->host.offset_changed)
		rtc->host.offset_changed(rtc->host.cb_opaque,
					 rtc->st.offset_ns);
	plan_match(rtc, now);
}

static uint32_t reg_read(struct pl031 *rtc, uint64_t reg, int64_t now)
{
	if (primecell_is_id_reg(reg))
		return primecell_id_read(PL031_PERIPH_ID, reg);
	switch (reg) {
	case PL031_DR:
		return counter(rtc, now);
	case PL031_MR:
		return rtc->st.mr;
	case PL031_LR:
		return rtc->st.lr;
	case PL031_CR:
		return rtc->st.cr;
	case PL031_IMSC:
		return rtc->st.imsc;
	case PL031_RIS:
		return rtc->st.ris;
	case PL031_MIS:
		return rtc->st.ris & rtc->st.imsc;
	case PL031_ICR:
		warn_access(rtc, "read of write-only RTCICR", reg);
		return 0;
	default:
		warn_access(rtc, "read of unknown register", reg);
		return 0;
	}
}

static void reg_write(struct pl031 *rtc, uint64_t reg, uint32_t v,
		      int64_t now)
{
	switch (reg) {
	case PL031_MR:
		rtc->st.mr = v;
		plan_match(rtc, now);
		break;
	case PL031_LR:
		load(rtc, v, now);
		break;
	case PL031_CR: /* 3.3.4: writing 0 does not stop the counter */
		rtc->st.cr |= v & PL031_CR_START;
		break;
	case PL031_IMSC:
		rtc->st.imsc = v & PL031_INT;
		break;
	case PL031_ICR:
		rtc->st.ris &= ~(v & PL031_INT);
		break;
	case PL031_DR:
	case PL031_RIS:
	case PL031_MIS:
		warn_access(rtc, "write to read-only register", reg);
		break;
	default:
		if (primecell_is_id_reg(reg))
			warn_access(rtc, "write to read-only ID register", reg);
		else
			warn_access(rtc, "write to unknown register", reg);
		break;
	}
}

static bool access_ok(struct pl031 *rtc, const struct cellvm_access_info *a)
{
	if (a->size == PL031_REG_SIZE && !(a->offset % PL031_REG_SIZE))
		return true;
	cellvm_log_ratelimited(rtc->host.log, &rtc->rl, CELLVM_LOG_WARN,
			       PL031_SUBSYS,
			       "%u-byte access at offset 0x%03" PRIx64
			       " ignored (registers are 32-bit words)",
			       a->size, a->offset);
	return false;
}

static uint64_t pl031_mmio_read(void *opaque,
				const struct cellvm_access_info *a)
{
	struct pl031 *rtc = opaque;
	int64_t now;
	uint32_t v = 0;

	pthread_mutex_lock(&rtc->lock);
	if (access_ok(rtc, a)) {
		now = host_now(rtc);
		catch_up(rtc, now);
		v = reg_read(rtc, a->offset, now);
		sync_irq(rtc);
	}
	pthread_mutex_unlock(&rtc->lock);
	return v;
}

static void pl031_mmio_write(void *opaque, const struct cellvm_access_info *a,
			     uint64_t value)
{
	struct pl031 *rtc = opaque;
	int64_t now;

	pthread_mutex_lock(&rtc->lock);
	if (access_ok(rtc, a)) {
		now = host_now(rtc);
		catch_up(rtc, now);
		reg_write(rtc, a->offset, (uint32_t)value, now);
		sync_irq(rtc);
	}
	pthread_mutex_unlock(&rtc->lock);
}

static int pl031_fdt_node(void *opaque, const struct cellvm_fdt_ctx *ctx,
			  uint64_t base, uint64_t size)
{
	static const char compat[] = "arm,pl031\0arm,primecell";
	static const char clock_names[] = "apb_pclk";
	struct pl031 *rtc = opaque;

	return primecell_fdt_node(ctx, "pl031", base, size, compat,
				  sizeof(compat), clock_names,
				  sizeof(clock_names), rtc->host.irq.line);
}

/* Metrics: the interrupts this device raised (cellvm_vm_counters()). */
static void pl031_counters(void *opaque, struct cellvm_dev_counters *out)
{
	struct pl031 *rtc = opaque;

	out->irqs = atomic_load(&rtc->irqs);
}

const struct cellvm_mmio_ops pl031_mmio_ops = {
	.read = pl031_mmio_read,
	.write = pl031_mmio_write,
	.fdt_node = pl031_fdt_node,
	.counters = pl031_counters,
};

void pl031_tick(struct pl031 *rtc)
{
	pthread_mutex_lock(&rtc->lock);
	catch_up(rtc, host_now(rtc));
	sync_irq(rtc);
	pthread_mutex_unlock(&rtc->lock);
}

void pl031_save(struct pl031 *rtc, struct pl031_state *out)
{
	pthread_mutex_lock(&rtc->lock);
	*out = rtc->st;
	pthread_mutex_unlock(&rtc->lock);
}

int pl031_restore(struct pl031 *rtc, const struct pl031_state *st)
{
	if (!st || (st->cr & ~PL031_CR_START) || (st->imsc & ~PL031_INT) ||
	    (st->ris & ~PL031_INT) || st->offset_ns <= -PL031_NS_LIMIT ||
	    st->offset_ns >= PL031_NS_LIMIT)
		return -EINVAL;
	pthread_mutex_lock(&rtc->lock);
	rtc->st = *st;
	set_alarm(rtc, st->alarm_ns);
	catch_up(rtc, host_now(rtc));
	sync_irq(rtc);
	pthread_mutex_unlock(&rtc->lock);
	return 0;
}

int pl031_create(const struct pl031_host *host, struct pl031 **out)
{
	struct pl031 *rtc;
	int ret;

	if (!host || !out || host->offset_ns <= -PL031_NS_LIMIT ||
	    host->offset_ns >= PL031_NS_LIMIT)
		return -EINVAL;
	rtc = calloc(1, sizeof(*rtc));
	if (!rtc)
		return -ENOMEM;
	ret = pthread_mutex_init(&rtc->lock, NULL);
	if (ret) {
		free(rtc);
		return -ret;
	}
	rtc->host = *host;
	/* Reset (3.3): all registers 0; the counter is the host's clock
	 * plus the kept offset. RTCMR = 0 is 1970 or a wrap away: no
	 * alarm is planned until the guest writes RTCMR or RTCLR. */
	rtc->st.offset_ns = host->offset_ns;
	rtc->st.alarm_ns = PL031_NO_ALARM;
	*out = rtc;
	return 0;
}

void pl031_destroy(struct pl031 *rtc)
{
	if (!rtc)
		return;
	pthread_mutex_destroy(&rtc->lock);
	free(rtc);
}
