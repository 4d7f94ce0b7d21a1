// SPDX-License-Identifier: MIT
/*
 * virtio over MMIO transport: virtio 1.2, "4.2 Virtio Over MMIO".
 *
 * Emulated: the version 2 (modern) register block of 4.2.2, feature
 * negotiation with VIRTIO_F_VERSION_1 required (3.1.1), split virtqueues
 * of up to 256 entries with VIRTIO_F_EVENT_IDX and
 * VIRTIO_F_INDIRECT_DESC, device reset by writing 0 to Status (2.4),
 * DEVICE_NEEDS_RESET with a configuration change interrupt when the
 * driver breaks a ring (2.1.2), the device configuration space from
 * offset 0x100 with any access width.
 * Not emulated: the legacy interface (version 1), packed virtqueues,
 * shared memory regions (lengths read as -1, 4.2.2), queue reset, driver
 * writes to the configuration space (no device offers writable fields).
 *
 * Notifications: a QueueNotify write signals the device's notify eventfd;
 * where the hypervisor has ioeventfd the same eventfd is registered for
 * QueueNotify, so the guest's write never exits. The device's worker
 * thread only ever waits on that eventfd. Interrupts: an irqfd when the
 * irqchip offers one, else an edge on the line (cellvm_irq_pulse); the
 * line is declared edge-rising in the device tree, as on QEMU's virt.
 *
 * Device tree node:
 *	virtio_mmio@a000000 {
 *		compatible = "virtio,mmio";
 *		reg = <0x0 0xa000000 0x0 0x200>;
 *		interrupts = <GIC_SPI 16 IRQ_TYPE_EDGE_RISING>;
 *		dma-coherent;
 *	};
 */
#include <errno.h>
#include <libfdt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/bytes.h"
#include "core/thread.h"
#include "dev/virtio_mmio.h"

/* Features every device gets from the transport. */
#define TRANSPORT_FEATURES                                                   \
	(VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |  \
	 VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC))

/* Control registers are 32-bit only (4.2.2.2). */
#define REG_WIDTH 4u
#define SHM_NONE 0xffffffffu

struct vmmio_queue {
	uint32_t num;
	bool ready;
	uint64_t desc, driver, device;
	/* Tags chains popped from this incarnation of the queue; a reset or
	 * QueueReady 0 ends it, so late completions are not pushed into a
	 * ring the driver has set up anew. */
	uint32_t gen;
	struct virtq vq;
	/* Counters (cellvm_vm_counters), written under the lock. */
	_Atomic uint64_t requests, bytes_read, bytes_written;
};

struct virtio_mmio {
	pthread_mutex_t lock;
	const struct virtio_dev_ops *ops;
	void *dev;
	const struct cellvm_mem *mem;
	struct cellvm_irq irq;
	const struct cellvm_log *log;
	uint64_t base;
	int (*ioeventfd)(void *hv_ctx, uint64_t addr, unsigned len, int fd);
	void *hv_ctx;
	int (*thread_enter)(void *ctx, enum cellvm_thread_kind kind);
	void *thread_ctx;

	int notify_fd, stop_fd, irq_fd, poll_fd;
	bool fast_paths_done;
	bool worker_running;
	pthread_t worker;

	/* Registers (4.2.2) */
	uint32_t status;
	uint32_t dev_features_sel, drv_features_sel;
	uint64_t drv_features;
	uint32_t queue_sel;
	uint32_t int_status;
	uint32_t config_gen;
	struct vmmio_queue q[VIRTIO_MMIO_MAX_QUEUES];
	uint8_t config[VIRTIO_MMIO_CONFIG_MAX];
	uint32_t config_len;

	bool broken; /* NEEDS_RESET set: no processing until reset */
	_Atomic uint64_t irqs, errors; /* counters, written under the lock */
	uint32_t last_gen; /* source of vmmio_queue.gen, never reset */
	struct cellvm_ratelimit rl; /* guest-triggered messages, under lock */
};

void virtio_mmio_warn(struct virtio_mmio *t, struct cellvm_ratelimit *rl,
		      const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cellvm_log_ratelimited(t->log, rl, CELLVM_LOG_WARN, t->ops->name,
			       "@%#llx: %s", (unsigned long long)t->base, msg);
}

void virtio_mmio_lock(struct virtio_mmio *t)
{
	pthread_mutex_lock(&t->lock);
}

void virtio_mmio_unlock(struct virtio_mmio *t)
{
	pthread_mutex_unlock(&t->lock);
}

static void eventfd_signal(int fd)
{
	uint64_t one = 1;

	/* EAGAIN only when the counter is saturated: already signalled. */
	if (write(fd, &one, sizeof(one)) < 0)
		return;
}

static void eventfd_drain(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0)
		return;
}

void virtio_mmio_kick(struct virtio_mmio *t)
{
	eventfd_signal(t->notify_fd);
}

/* Lock held. Set an InterruptStatus bit and send an edge. */
static void raise_irq(struct virtio_mmio *t, uint32_t bit)
{
	atomic_fetch_add_explicit(&t->irqs, 1, memory_order_relaxed);
	t->int_status |= bit;
	if (t->irq_fd >= 0) {
		eventfd_signal(t->irq_fd);
		return;
	}
	if (cellvm_irq_pulse(&t->irq))
		virtio_mmio_warn(t, &t->rl, "cannot raise interrupt %u",
				 t->irq.line);
}

/* Lock held. 2.1.2: the device entered an error state. */
static void mark_broken(struct virtio_mmio *t, const char *why)
{
	virtio_mmio_warn(t, &t->rl, "device needs reset: %s", why);
	if (t->broken)
		return;
	atomic_fetch_add_explicit(&t->errors, 1, memory_order_relaxed);
	t->broken = true;
	t->status |= VIRTIO_STATUS_NEEDS_RESET;
	/* "If DRIVER_OK is set, after it sets DEVICE_NEEDS_RESET, the device
	 * MUST send a device configuration change notification." */
	if (t->status & VIRTIO_STATUS_DRIVER_OK)
		raise_irq(t, VIRTIO_MMIO_INT_CONFIG);
}

/* Lock held. 2.4 Device Reset: back to the state after creation. */
static void device_reset(struct virtio_mmio *t)
{
	t->status = 0;
	t->dev_features_sel = 0;
	t->drv_features_sel = 0;
	t->drv_features = 0;
	t->queue_sel = 0;
	t->int_status = 0;
	t->broken = false;
	memset(t->q, 0, sizeof(t->q));
	if (t->ops->reset)
		t->ops->reset(t->dev);
}

static bool queue_live(const struct virtio_mmio *t, unsigned q)
{
	return q < t->ops->num_queues && t->q[q].ready && !t->broken &&
	       (t->status & VIRTIO_STATUS_DRIVER_OK);
}

int virtio_mmio_pop(struct virtio_mmio *t, unsigned q, struct virtq_chain *c,
		    uint32_t *gen)
{
	const char *why;
	unsigned dropped;
	int ret;

	*gen = q < VIRTIO_MMIO_MAX_QUEUES ? t->q[q].gen : 0;
	/* Malformed chains are consumed one per iteration; a driver adding
	 * them as fast as we drop them gets a queue's worth per call. */
	for (dropped = 0; dropped < VIRTQ_MAX_SIZE && queue_live(t, q);
	     dropped++) {
		ret = virtq_pop(&t->q[q].vq, c, &why);
		if (ret >= 0)
			return ret;
		if (ret == -EIO) {
			mark_broken(t, why);
			return 0;
		}
		virtio_mmio_warn(t, &t->rl, "queue %u: dropped chain %u: %s",
				 q, c->head, why);
		virtio_mmio_push(t, q, c->head, 0, *gen);
	}
	return 0;
}

void virtio_mmio_unpop(struct virtio_mmio *t, unsigned q)
{
	if (queue_live(t, q))
		virtq_unpop(&t->q[q].vq);
}

void virtio_mmio_push(struct virtio_mmio *t, unsigned q, uint16_t head,
		      uint32_t len, uint32_t gen)
{
	struct virtq *vq;

	/* A reset since the pop: the chain belongs to a dead queue. */
	if (!queue_live(t, q) || gen != t->q[q].gen)
		return;
	vq = &t->q[q].vq;
	if (virtq_push(vq, head, len)) {
		mark_broken(t, "used ring outside guest RAM");
		return;
	}
	atomic_fetch_add_explicit(&t->q[q].requests, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&t->q[q].bytes_written, len,
				  memory_order_relaxed);
	if (virtq_need_interrupt(vq))
		raise_irq(t, VIRTIO_MMIO_INT_VRING);
}

bool virtio_mmio_has_avail(struct virtio_mmio *t, unsigned q)
{
	return queue_live(t, q) && virtq_has_avail(&t->q[q].vq);
}

bool virtio_mmio_enable_notify(struct virtio_mmio *t, unsigned q)
{
	return queue_live(t, q) && virtq_enable_notify(&t->q[q].vq);
}

bool virtio_mmio_serve(struct virtio_mmio *t, unsigned q,
		       struct virtq_chain *c, unsigned budget,
		       virtio_chain_fn fn, void *dev)
{
	uint32_t gen, len;
	unsigned n = 0;
	bool more;

	for (;;) {
		/* Every round counts, so a driver feeding bad chains
		 * cannot keep the worker here either. */
		if (n++ >= budget)
			return true;
		virtio_mmio_lock(t);
		if (virtio_mmio_pop(t, q, c, &gen) == 0) {
			more = virtio_mmio_enable_notify(t, q);
			virtio_mmio_unlock(t);
			if (!more)
				return false;
			continue;
		}
		virtio_mmio_unlock(t);
		len = fn(dev, c);
		virtio_mmio_lock(t);
		/* The driver's bytes of a request served here (a device
		 * popping chains itself, RX, gives none). */
		atomic_fetch_add_explicit(&t->q[q].bytes_read, c->out_len,
					  memory_order_relaxed);
		virtio_mmio_push(t, q, c->head, len, gen);
		virtio_mmio_unlock(t);
	}
}

uint64_t virtio_mmio_features(struct virtio_mmio *t)
{
	uint64_t f;

	virtio_mmio_lock(t);
	f = t->drv_features;
	virtio_mmio_unlock(t);
	return f;
}

uint32_t virtio_mmio_status(struct virtio_mmio *t)
{
	uint32_t s;

	virtio_mmio_lock(t);
	s = t->status;
	virtio_mmio_unlock(t);
	return s;
}

int virtio_mmio_notify_fd(const struct virtio_mmio *t)
{
	return t->notify_fd;
}

void virtio_mmio_set_config(struct virtio_mmio *t, const void *cfg,
			    size_t len)
{
	if (len > sizeof(t->config))
		len = sizeof(t->config);
	memcpy(t->config, cfg, len);
	t->config_len = (uint32_t)len;
}

void virtio_mmio_config_changed(struct virtio_mmio *t, const void *cfg,
				size_t len)
{
	virtio_mmio_lock(t);
	virtio_mmio_set_config(t, cfg, len);
	/* 4.2.2: ConfigGeneration changes with the configuration; 2.5.2:
	 * a configuration change notification once the driver is ready. */
	t->config_gen++;
	if (t->status & VIRTIO_STATUS_DRIVER_OK)
		raise_irq(t, VIRTIO_MMIO_INT_CONFIG);
	virtio_mmio_unlock(t);
}

bool virtio_mmio_running(const struct virtio_mmio *t)
{
	return t->worker_running;
}

void virtio_mmio_set_poll_fd(struct virtio_mmio *t, int fd)
{
	t->poll_fd = fd;
}

/* ---- registers ---- */

static uint64_t device_features(const struct virtio_mmio *t)
{
	return t->ops->features | TRANSPORT_FEATURES;
}

static struct vmmio_queue *sel_queue(struct virtio_mmio *t)
{
	return t->queue_sel < t->ops->num_queues ? &t->q[t->queue_sel] : NULL;
}

static uint32_t read_queue_reg(struct virtio_mmio *t, uint64_t off)
{
	struct vmmio_queue *q = sel_queue(t);

	if (!q)
		return 0; /* QueueNumMax 0: "queue not available" */
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return VIRTQ_MAX_SIZE;
	case VIRTIO_MMIO_QUEUE_NUM:
		return q->num;
	case VIRTIO_MMIO_QUEUE_READY:
		return q->ready;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
		return (uint32_t)q->desc;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		return (uint32_t)(q->desc >> 32);
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
		return (uint32_t)q->driver;
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		return (uint32_t)(q->driver >> 32);
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
		return (uint32_t)q->device;
	default: /* VIRTIO_MMIO_QUEUE_DEVICE_HIGH */
		return (uint32_t)(q->device >> 32);
	}
}

static uint32_t read_reg(struct virtio_mmio *t, uint64_t off)
{
	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return VIRTIO_MMIO_VERSION_2;
	case VIRTIO_MMIO_DEVICE_ID:
		return t->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		if (t->dev_features_sel > 1)
			return 0;
		return (uint32_t)(device_features(t) >>
				  (32 * t->dev_features_sel));
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
	case VIRTIO_MMIO_QUEUE_NUM:
	case VIRTIO_MMIO_QUEUE_READY:
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		return read_queue_reg(t, off);
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return t->int_status;
	case VIRTIO_MMIO_STATUS:
		return t->status;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		return SHM_NONE; /* no shared memory regions */
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return t->config_gen;
	default:
		virtio_mmio_warn(t, &t->rl, "read of unknown register %#llx",
				 (unsigned long long)off);
		return 0;
	}
}

/* 3.1.1 step 5: accept only offered features, and VERSION_1 (no legacy). */
static bool features_acceptable(const struct virtio_mmio *t)
{
	return !(t->drv_features & ~device_features(t)) &&
	       (t->drv_features & VIRTIO_BIT(VIRTIO_F_VERSION_1));
}

static void write_status(struct virtio_mmio *t, uint32_t val)
{
	uint32_t old = t->status;

	if (val == 0) {
		device_reset(t);
		return;
	}
	/* NEEDS_RESET is the device's; the driver cannot set or clear it. */
	val = (val & ~VIRTIO_STATUS_NEEDS_RESET) |
	      (old & VIRTIO_STATUS_NEEDS_RESET);
	if ((val & VIRTIO_STATUS_FEATURES_OK) &&
	    !(old & VIRTIO_STATUS_FEATURES_OK) && !features_acceptable(t)) {
		virtio_mmio_warn(t, &t->rl,
				 "refused driver features %#llx",
				 (unsigned long long)t->drv_features);
		val &= ~VIRTIO_STATUS_FEATURES_OK;
	}
	/* DRIVER_OK only after a successful feature negotiation. */
	if (!(val & VIRTIO_STATUS_FEATURES_OK))
		val &= ~VIRTIO_STATUS_DRIVER_OK;
	t->status = val;
	/* Buffers queued before DRIVER_OK had their notifications ignored:
	 * have the worker look at every queue now. */
	if ((val & VIRTIO_STATUS_DRIVER_OK) &&
	    !(old & VIRTIO_STATUS_DRIVER_OK))
		virtio_mmio_kick(t);
}

static void write_driver_features(struct virtio_mmio *t, uint32_t val)
{
	unsigned shift;

	/* Features are fixed once FEATURES_OK is set (3.1.1). */
	if (t->status & VIRTIO_STATUS_FEATURES_OK || t->drv_features_sel > 1)
		return;
	shift = 32 * t->drv_features_sel;
	t->drv_features &= ~(0xffffffffull << shift);
	t->drv_features |= (uint64_t)val << shift;
}

static void set_half(uint64_t *reg, bool high, uint32_t val)
{
	if (high)
		*reg = (*reg & 0xffffffffull) | ((uint64_t)val << 32);
	else
		*reg = (*reg & ~0xffffffffull) | val;
}

/* QueueReady 1: validate the driver's queue before using it. */
static void queue_enable(struct virtio_mmio *t, struct vmmio_queue *q)
{
	bool event_idx = t->drv_features & VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
	bool indirect = t->drv_features & VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);

	if (!(t->status & VIRTIO_STATUS_FEATURES_OK)) {
		virtio_mmio_warn(t, &t->rl, "queue %u enabled before FEATURES_OK",
				 t->queue_sel);
		return;
	}
	if (q->num > VIRTQ_MAX_SIZE ||
	    virtq_init(&q->vq, t->mem, (uint16_t)q->num, q->desc, q->driver,
		       q->device, event_idx, indirect)) {
		/* Refused: QueueReady reads back 0. */
		virtio_mmio_warn(t, &t->rl,
				 "queue %u refused: size %u desc %#llx driver %#llx device %#llx",
				 t->queue_sel, q->num,
				 (unsigned long long)q->desc,
				 (unsigned long long)q->driver,
				 (unsigned long long)q->device);
		mark_broken(t, "invalid queue configuration");
		return;
	}
	q->ready = true;
	q->gen = ++t->last_gen;
}

static void write_queue_reg(struct virtio_mmio *t, uint64_t off, uint32_t val)
{
	struct vmmio_queue *q = sel_queue(t);

	if (!q)
		return;
	if (off == VIRTIO_MMIO_QUEUE_READY) {
		if (val && !q->ready)
			queue_enable(t, q);
		else if (!val)
			q->ready = false;
		return;
	}
	/* 4.2.2.2: the driver MUST NOT change a queue that is ready. */
	if (q->ready)
		return;
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM:
		q->num = val;
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		set_half(&q->desc, off == VIRTIO_MMIO_QUEUE_DESC_HIGH, val);
		break;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		set_half(&q->driver, off == VIRTIO_MMIO_QUEUE_DRIVER_HIGH, val);
		break;
	default:
		set_half(&q->device, off == VIRTIO_MMIO_QUEUE_DEVICE_HIGH, val);
		break;
	}
}

static void write_reg(struct virtio_mmio *t, uint64_t off, uint32_t val)
{
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		t->dev_features_sel = val;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		write_driver_features(t, val);
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		t->drv_features_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		t->queue_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_NUM:
	case VIRTIO_MMIO_QUEUE_READY:
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		write_queue_reg(t, off, val);
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		/* One eventfd per device: the worker scans every queue. */
		virtio_mmio_kick(t);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		t->int_status &= ~val;
		break;
	case VIRTIO_MMIO_STATUS:
		write_status(t, val);
		break;
	case VIRTIO_MMIO_SHM_SEL:
		break;
	default:
		virtio_mmio_warn(t, &t->rl, "write of unknown register %#llx",
				 (unsigned long long)off);
		break;
	}
}

/* Device configuration space: any width, little-endian (4.2.2.2). */
static uint64_t read_config(const struct virtio_mmio *t, uint64_t off,
			    unsigned size)
{
	uint64_t val = 0;
	unsigned i;

	for (i = 0; i < size; i++)
		if (off + i < t->config_len)
			val |= (uint64_t)t->config[off + i] << (8 * i);
	return val;
}

static uint64_t mmio_read(void *opaque, const struct cellvm_access_info *a)
{
	struct virtio_mmio *t = opaque;
	uint64_t off = a->offset;
	unsigned size = a->size;
	uint64_t val;

	virtio_mmio_lock(t);
	if (off >= VIRTIO_MMIO_CONFIG) {
		val = read_config(t, off - VIRTIO_MMIO_CONFIG, size);
	} else if (size != REG_WIDTH || off % REG_WIDTH) {
		virtio_mmio_warn(t, &t->rl, "%u-byte read at %#llx", size,
				 (unsigned long long)off);
		val = 0;
	} else {
		val = read_reg(t, off);
	}
	virtio_mmio_unlock(t);
	return val;
}

static void mmio_write(void *opaque, const struct cellvm_access_info *a,
		       uint64_t val)
{
	struct virtio_mmio *t = opaque;
	uint64_t off = a->offset;
	unsigned size = a->size;

	virtio_mmio_lock(t);
	if (off >= VIRTIO_MMIO_CONFIG)
		virtio_mmio_warn(t, &t->rl, "config write at %#llx ignored",
				 (unsigned long long)off);
	else if (size != REG_WIDTH || off % REG_WIDTH)
		virtio_mmio_warn(t, &t->rl, "%u-byte write at %#llx", size,
				 (unsigned long long)off);
	else
		write_reg(t, off, (uint32_t)val);
	virtio_mmio_unlock(t);
}

/* The builder uses libfdt's sequential-write mode: emit one node. */
static int mmio_fdt_node(void *opaque, const struct cellvm_fdt_ctx *ctx,
			 uint64_t base, uint64_t size)
{
	struct virtio_mmio *t = opaque;
	/* Two address and two size cells, as the root node declares. */
	fdt64_t reg[2] = { cpu_to_fdt64(base), cpu_to_fdt64(size) };
	char name[40];
	int ret;

	if (!ctx->fdt || !ctx->irq_prop)
		return -EINVAL;
	snprintf(name, sizeof(name), "virtio_mmio@%llx",
		 (unsigned long long)base);
	ret = fdt_begin_node(ctx->fdt, name);
	if (!ret)
		ret = fdt_property_string(ctx->fdt, "compatible",
					  "virtio,mmio");
	if (!ret)
		ret = fdt_property(ctx->fdt, "reg", reg, sizeof(reg));
	if (ret)
		return fdt_to_errno(ret);
	/* Edge-rising, as QEMU's virt board declares virtio-mmio. */
	ret = ctx->irq_prop(ctx, t->irq.line, true);
	if (ret)
		return ret < 0 ? ret : -EINVAL;
	ret = fdt_property(ctx->fdt, "dma-coherent", NULL, 0);
	if (!ret)
		ret = fdt_end_node(ctx->fdt);
	return fdt_to_errno(ret);
}

static void mmio_counters(void *opaque, struct cellvm_dev_counters *out)
{
	struct virtio_mmio *t = opaque;
	unsigned q, n = t->ops->num_queues;

	if (n > CELLVM_COUNTERS_MAX_QUEUES)
		n = CELLVM_COUNTERS_MAX_QUEUES;
	out->irqs = atomic_load(&t->irqs);
	out->errors = atomic_load(&t->errors);
	out->nr_queues = n;
	for (q = 0; q < n; q++) {
		out->queue[q].requests = atomic_load(&t->q[q].requests);
		out->queue[q].bytes_read = atomic_load(&t->q[q].bytes_read);
		out->queue[q].bytes_written = atomic_load(&t->q[q].bytes_written);
	}
}

const struct cellvm_mmio_ops virtio_mmio_ops = {
	.read = mmio_read,
	.write = mmio_write,
	.counters = mmio_counters,
	.fdt_node = mmio_fdt_node,
};

/* ---- lifecycle and worker ---- */

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* The transport alone; the device model is the caller's. */
static void transport_free(struct virtio_mmio *t)
{
	close_fd(t->notify_fd);
	close_fd(t->stop_fd);
	close_fd(t->irq_fd);
	pthread_mutex_destroy(&t->lock);
	free(t);
}


int virtio_mmio_create(const struct virtio_mmio_params *p,
		       const struct virtio_dev_ops *ops, void *dev,
		       struct virtio_mmio **out, struct cellvm_err *err)
{
	struct virtio_mmio *t;
	int ret;

	if (!p->mem || !ops->process || ops->num_queues == 0 ||
	    ops->num_queues > VIRTIO_MMIO_MAX_QUEUES)
		return cellvm_err_set(err, CELLVM_E_INTERNAL, EINVAL,
				      "%s: bad device parameters", ops->name);
	t = calloc(1, sizeof(*t));
	if (!t)
		return cellvm_err_set(err, CELLVM_E_HOST, ENOMEM,
				      "%s: out of memory", ops->name);
	*t = (struct virtio_mmio){
		.ops = ops, .dev = dev, .mem = p->mem, .irq = p->irq,
		.log = p->log, .base = p->base, .ioeventfd = p->ioeventfd,
		.hv_ctx = p->hv_ctx, .thread_enter = p->thread_enter,
		.thread_ctx = p->thread_ctx, .stop_fd = -1, .irq_fd = -1,
		.poll_fd = -1,
	};
	pthread_mutex_init(&t->lock, NULL);
	t->notify_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	t->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->notify_fd < 0 || t->stop_fd < 0) {
		ret = cellvm_err_set(err, CELLVM_E_HOST, errno,
				     "%s: eventfd: %s", ops->name,
				     strerror(errno));
		goto fail;
	}
	*out = t;
	return 0;
fail:
	transport_free(t);
	return ret;
}

int virtio_mmio_attach(struct virtio_mmio *t, struct cellvm_bus *bus,
		       struct cellvm_err *err)
{
	int ret;

	if (!bus)
		return 0;
	ret = cellvm_bus_add(bus, t->ops->name, t->base,
			     VIRTIO_MMIO_WINDOW_SIZE, &virtio_mmio_ops, t);
	if (ret)
		return cellvm_err_set(err, CELLVM_E_INTERNAL, ret,
				      "%s: cannot map its registers at %#llx",
				      t->ops->name,
				      (unsigned long long)t->base);
	return 0;
}

/* Optional fast paths; failing ones leave the exit/pulse paths in use. */
static void setup_fast_paths(struct virtio_mmio *t)
{
	int fd;

	if (t->fast_paths_done)
		return;
	t->fast_paths_done = true;
	if (t->ioeventfd &&
	    t->ioeventfd(t->hv_ctx, t->base + VIRTIO_MMIO_QUEUE_NOTIFY,
			 REG_WIDTH, t->notify_fd) == 0)
		log_debug(t->log, t->ops->name, "@%#llx: ioeventfd in use",
			  (unsigned long long)t->base);
	if (!t->irq.chip || !t->irq.chip->ops->irqfd)
		return;
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return;
	if (t->irq.chip->ops->irqfd(t->irq.chip, t->irq.line, fd) == 0) {
		t->irq_fd = fd;
		log_debug(t->log, t->ops->name, "@%#llx: irqfd in use",
			  (unsigned long long)t->base);
	} else {
		close(fd);
	}
}

int virtio_mmio_run_once(struct virtio_mmio *t, int timeout_ms)
{
	struct pollfd pfd[3] = {
		{ .fd = t->stop_fd, .events = POLLIN },
		{ .fd = t->notify_fd, .events = POLLIN },
		{ .fd = -1 },
	};
	int n;

	if (t->poll_fd >= 0 && t->ops->poll_events) {
		pfd[2].events = t->ops->poll_events(t->dev);
		/* fd -1 is ignored by poll: no spinning on HUP/ERR. */
		pfd[2].fd = pfd[2].events ? t->poll_fd : -1;
	}
	n = poll(pfd, 3, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (pfd[0].revents & POLLIN)
		return 1;
	if (pfd[1].revents & POLLIN) {
		eventfd_drain(t->notify_fd);
		/* Out of budget: come back after the other fds had a turn. */
		if (t->ops->process(t->dev))
			virtio_mmio_kick(t);
	}
	if (pfd[2].revents && t->ops->poll_ready)
		t->ops->poll_ready(t->dev, pfd[2].revents);
	return 0;
}

static void *worker_main(void *arg)
{
	struct virtio_mmio *t = arg;
	int ret;

	/* Set up by the creating thread: restrict this one before it
	 * looks at anything the guest wrote. */
	if (t->thread_enter &&
	    t->thread_enter(t->thread_ctx, t->ops->thread_kind))
		return NULL;
	do
		ret = virtio_mmio_run_once(t, -1);
	while (ret == 0);
	if (ret < 0)
		log_err(t->log, t->ops->name, "@%#llx: worker stopped: %s",
			(unsigned long long)t->base, strerror(-ret));
	return NULL;
}

int virtio_mmio_start(struct virtio_mmio *t, struct cellvm_err *err)
{
	sigset_t all, old;
	int ret;

	if (t->worker_running)
		return 0;
	virtio_mmio_lock(t);
	setup_fast_paths(t);
	virtio_mmio_unlock(t);
	eventfd_drain(t->stop_fd);
	/* Signals are for the vCPU and main threads, not the workers. */
	sigfillset(&all);
	/* But a system call filter's trap must reach its handler (a blocked
	 * SIGSYS kills without a word), also before the worker's own. */
	sigdelset(&all, SIGSYS);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = -cellvm_thread_start(&t->worker, worker_main, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		return cellvm_err_set(err, CELLVM_E_HOST, ret,
				      "%s: cannot start worker thread: %s",
				      t->ops->name, strerror(ret));
	t->worker_running = true;
	/* Anything queued before start is looked at now. */
	virtio_mmio_kick(t);
	return 0;
}

void virtio_mmio_stop(struct virtio_mmio *t)
{
	if (!t || !t->worker_running)
		return;
	eventfd_signal(t->stop_fd);
	pthread_join(t->worker, NULL);
	t->worker_running = false;
	eventfd_drain(t->stop_fd);
}

void virtio_mmio_destroy(struct virtio_mmio *t)
{
	if (!t)
		return;
	virtio_mmio_stop(t);
	if (t->ops->destroy)
		t->ops->destroy(t->dev);
	transport_free(t);
}

void *virtio_mmio_device(struct virtio_mmio *t)
{
	return t->dev;
}
