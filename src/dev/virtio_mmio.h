/* SPDX-License-Identifier: MIT */
/*
 * virtio over MMIO (virtio 1.2, "4.2 Virtio Over MMIO", version 2 only),
 * the transport under every cellvm virtio device, and the common device
 * plumbing: one worker thread per device waiting on the device's notify
 * eventfd, chain pop/push with the hostile-driver policy, interrupts.
 *
 * Integration (per device, see virtio_blk.h etc.):
 *   1. create the device with a struct virtio_mmio_params (it adds its
 *      window to params.bus when that is non-NULL, else the caller adds
 *      it with &virtio_mmio_ops and the returned transport as opaque);
 *   2. virtio_mmio_start() it once the irqchip exists, before the vCPUs
 *      run (registers ioeventfd/irqfd and starts the worker);
 *   3. virtio_mmio_stop() (joins the worker) and virtio_mmio_destroy()
 *      at VM teardown.
 */
#ifndef CELLVM_DEV_VIRTIO_MMIO_H
#define CELLVM_DEV_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cellvm/cellvm.h"
#include "core/bus.h"
#include "cellvm/err.h"
#include "core/irq.h"
#include "cellvm/log.h"
#include "core/mem.h"
#include "dev/virtqueue.h"

/* 4.2.2 MMIO Device Register Layout */
#define VIRTIO_MMIO_MAGIC_VALUE 0x000
#define VIRTIO_MMIO_VERSION 0x004
#define VIRTIO_MMIO_DEVICE_ID 0x008
#define VIRTIO_MMIO_VENDOR_ID 0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL 0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_MMIO_QUEUE_NUM 0x038
#define VIRTIO_MMIO_QUEUE_READY 0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060
#define VIRTIO_MMIO_INTERRUPT_ACK 0x064
#define VIRTIO_MMIO_STATUS 0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW 0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW 0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define VIRTIO_MMIO_SHM_SEL 0x0ac
#define VIRTIO_MMIO_SHM_LEN_LOW 0x0b0
#define VIRTIO_MMIO_SHM_LEN_HIGH 0x0b4
#define VIRTIO_MMIO_SHM_BASE_LOW 0x0b8
#define VIRTIO_MMIO_SHM_BASE_HIGH 0x0bc
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0fc
#define VIRTIO_MMIO_CONFIG 0x100

#define VIRTIO_MMIO_MAGIC 0x74726976u /* "virt" */
#define VIRTIO_MMIO_VERSION_2 2u
#define VIRTIO_MMIO_VENDOR 0x4d564c43u /* "CLVM" */
/* The register window; the layout's slot size. */
#define VIRTIO_MMIO_WINDOW_SIZE 0x200u

/* InterruptStatus bits (4.2.2) */
#define VIRTIO_MMIO_INT_VRING 1u
#define VIRTIO_MMIO_INT_CONFIG 2u

/* 2.1 Device Status Field */
#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER 2u
#define VIRTIO_STATUS_DRIVER_OK 4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED 128u

/* 6 Reserved Feature Bits (bit numbers) */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

/* 5 Device Types */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4

/* Queues per device: virtio-vsock has three (virtio 1.2, 5.10.2). */
#define VIRTIO_MMIO_MAX_QUEUES 3
#define VIRTIO_MMIO_CONFIG_MAX 64

#define VIRTIO_BIT(n) (1ull << (n))

struct virtio_mmio;

/* What the device model tells the transport. All hooks but process are
 * optional. */
struct virtio_dev_ops {
	const char *name; /* log subsystem, e.g. "virtio-blk" */
	uint32_t device_id;
	/* Its worker thread's kind, for the system call filters. */
	enum cellvm_thread_kind thread_kind;
	/* Device-type feature bits; the transport adds VERSION_1,
	 * EVENT_IDX and INDIRECT_DESC. */
	uint64_t features;
	unsigned num_queues;
	/* Worker thread, transport unlocked: the notify eventfd fired.
	 * Returns true when it stopped on a work budget with work left. */
	bool (*process)(void *dev);
	/* Status 0 written: drop in-flight state. Transport lock held. */
	void (*reset)(void *dev);
	/* The worker also polls the fd set by virtio_mmio_set_poll_fd() for
	 * poll_events() (0: not now), then calls poll_ready(). */
	short (*poll_events)(void *dev);
	bool (*poll_ready)(void *dev, short revents);
	/* Free the device model; called by virtio_mmio_destroy() after the
	 * worker has stopped. */
	void (*destroy)(void *dev);
};

/* Creation parameters shared by every virtio device. */
struct virtio_mmio_params {
	const struct cellvm_mem *mem;
	struct cellvm_irq irq; /* the device's SPI, as a GIC INTID */
	const struct cellvm_log *log;
	uint64_t base; /* guest-physical base of the register window */
	/* If non-NULL the device adds its window here at creation. */
	struct cellvm_bus *bus;
	/* Optional: have the hypervisor signal fd on a guest write of len
	 * bytes at addr (KVM ioeventfd). NULL or -errno: exits are used. */
	int (*ioeventfd)(void *hv_ctx, uint64_t addr, unsigned len, int fd);
	void *hv_ctx;
	/* Optional: called first in the worker thread with ops->thread_kind
	 * (the VM's cellvm_config.thread_enter). On failure the worker does
	 * not serve the device; the callee stops the VM. */
	int (*thread_enter)(void *ctx, enum cellvm_thread_kind kind);
	void *thread_ctx;
};

/* Read/write/fdt_node of the register window; opaque is the transport. */
extern const struct cellvm_mmio_ops virtio_mmio_ops;

/*
 * ---- lifecycle ----
 * Every device's create function (virtio_blk_create() etc.) returns its
 * transport; the rest of the life cycle is the same for all devices:
 *	virtio_mmio_start(t, &err)	before the vCPUs run
 *	virtio_mmio_stop(t)		joins the worker
 *	virtio_mmio_destroy(t)		stops, frees transport and device
 */

/* For device files: on success the transport owns dev (ops->destroy). */
int virtio_mmio_create(const struct virtio_mmio_params *p,
		       const struct virtio_dev_ops *ops, void *dev,
		       struct virtio_mmio **out,
		       struct cellvm_err *err) CELLVM_MUST_CHECK;
/* Add the window to bus (NULL: nothing). The bus keeps a pointer to
 * the transport, so device creation calls this last. */
int virtio_mmio_attach(struct virtio_mmio *t, struct cellvm_bus *bus,
		       struct cellvm_err *err) CELLVM_MUST_CHECK;
/* Register the fast paths (once) and start the worker. */
int virtio_mmio_start(struct virtio_mmio *t,
		      struct cellvm_err *err) CELLVM_MUST_CHECK;
/* Stop and join the worker; no-op when not running. */
void virtio_mmio_stop(struct virtio_mmio *t);
/* Stops, then frees the device model and the transport. NULL is
 * ignored. */
void virtio_mmio_destroy(struct virtio_mmio *t);
/* The device model behind a transport (the dev given at creation). */
void *virtio_mmio_device(struct virtio_mmio *t);

/* Any time: replace the configuration space, bump ConfigGeneration and
 * notify the driver (virtio 1.2 2.5.2) if it is ready. */
void virtio_mmio_config_changed(struct virtio_mmio *t, const void *cfg,
				size_t len);
/* Whether the worker runs (not stopped by a pause). */
bool virtio_mmio_running(const struct virtio_mmio *t);

/* One worker iteration on the calling thread (tests, fuzzers): wait up
 * to timeout_ms for an event and handle it. 1 = stop requested, 0, or
 * -errno. */
int virtio_mmio_run_once(struct virtio_mmio *t, int timeout_ms);

/* ---- set-up, before start ---- */
void virtio_mmio_set_config(struct virtio_mmio *t, const void *cfg,
			    size_t len);
void virtio_mmio_set_poll_fd(struct virtio_mmio *t, int fd);

/* ---- queue service for device models ---- */
void virtio_mmio_lock(struct virtio_mmio *t);
void virtio_mmio_unlock(struct virtio_mmio *t);

/*
 * Under the lock: the next valid chain of queue q. Returns 1 with *c
 * filled, 0 when there is none or the device is not live (no DRIVER_OK,
 * queue not ready, or broken). Malformed chains are returned to the
 * driver unused and logged; a broken ring marks the device NEEDS_RESET.
 * *gen receives the queue's generation to hand back to virtio_mmio_push.
 */
int virtio_mmio_pop(struct virtio_mmio *t, unsigned q, struct virtq_chain *c,
		    uint32_t *gen);
/* Under the lock: give back the chain just popped. */
void virtio_mmio_unpop(struct virtio_mmio *t, unsigned q);
/* Under the lock: complete a chain and interrupt if the driver wants it;
 * dropped when the queue was reset or disabled since the pop. */
void virtio_mmio_push(struct virtio_mmio *t, unsigned q, uint16_t head,
		      uint32_t len, uint32_t gen);
/* Under the lock: the queue is live and has chains. */
bool virtio_mmio_has_avail(struct virtio_mmio *t, unsigned q);
/* Under the lock, before idling: re-enable driver notifications; true
 * when chains arrived meanwhile. */
bool virtio_mmio_enable_notify(struct virtio_mmio *t, unsigned q);

/*
 * Serve queue q from the worker: pop (locked), fn (unlocked: may block
 * on host I/O) returning the used length, push (locked). At most budget
 * chains; returns true when it stopped on the budget with work left.
 */
typedef uint32_t (*virtio_chain_fn)(void *dev, struct virtq_chain *c);
bool virtio_mmio_serve(struct virtio_mmio *t, unsigned q,
		       struct virtq_chain *c, unsigned budget,
		       virtio_chain_fn fn, void *dev);

/* Wake the worker as if the driver had notified. */
void virtio_mmio_kick(struct virtio_mmio *t);

/* Driver-accepted feature bits (valid after FEATURES_OK). */
uint64_t virtio_mmio_features(struct virtio_mmio *t);
/* Current Status register (tests, logs). */
uint32_t virtio_mmio_status(struct virtio_mmio *t);
/* The notify eventfd (tests). */
int virtio_mmio_notify_fd(const struct virtio_mmio *t);

/* Rate-limited warning; the caller serialises use of rl. */
void virtio_mmio_warn(struct virtio_mmio *t, struct cellvm_ratelimit *rl,
		      const char *fmt, ...) CELLVM_PRINTF(3, 4);

#endif
