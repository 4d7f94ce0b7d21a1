/* SPDX-License-Identifier: MIT */
/*
 * The virtio test driver shared by the unit tests (tests/unit/) and the
 * virtio fuzzers (fuzz/, through virtio_oracle.h): fake guest RAM, a real
 * MMIO bus with one virtio-mmio device on it, a fake irqchip counting
 * edges, split rings (virtio 1.2, 2.7) built by hand in the RAM, and the
 * driver side of device initialisation (3.1.1, 4.2.3).
 *
 * Every register access goes through drv_reg() and every call into the
 * transport through drv_serve()/drv_destroy(): when the bus or the device
 * entry points change, those are the lines to adapt.
 */
#ifndef TESTS_LIB_VIRTIO_DRV_H
#define TESTS_LIB_VIRTIO_DRV_H

#include <stdbool.h>
#include <stdint.h>

#include "core/bus.h"
#include "core/irq.h"
#include "cellvm/log.h"
#include "core/mem.h"
#include "dev/virtio_mmio.h"

#define DRV_RAM_GPA 0x40000000ull
#define DRV_RAM_SIZE (1u << 20) /* drv_new(); drv_new_ram() takes any */
#define DRV_MMIO_BASE 0x0a000000ull
#define DRV_IRQ 48
#define DRV_Q_STRIDE 0x4000u /* per queue: desc, avail, used pages */
#define DRV_BUF_AREA 0x10000u /* drv_alloc() buffers from here */

/* Split ring layout, virtio 1.2, 2.7.5 / 2.7.6 / 2.7.8 */
#define DRV_DESC_SIZE 16u
#define DRV_AVAIL_IDX 2u
#define DRV_AVAIL_RING 4u
#define DRV_USED_IDX 2u
#define DRV_USED_RING 4u
#define DRV_USED_ELEM 8u

#define DRV_FEATURES_DEFAULT                                                \
	(VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |  \
	 VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC))

struct drv_buf {
	uint64_t gpa;
	uint32_t len;
	bool writable;
};

struct drv_q {
	uint16_t size;
	uint16_t avail_idx;
	uint16_t next_desc;
	uint64_t desc, avail, used;
};

struct drv {
	uint8_t *ram;
	uint32_t ram_size;
	struct cellvm_mem mem;
	struct cellvm_bus bus;
	unsigned cpu; /* the vCPU drv_reg() accesses as (0 unless set) */
	struct cellvm_irqchip chip;
	unsigned edges; /* rising edges seen on DRV_IRQ */
	bool level;
	unsigned log_lines;
	bool verbose; /* VIRT_TEST_VERBOSE set: device log lines to stderr */
	struct cellvm_log log;
	uint64_t next_buf;
	struct drv_q q[VIRTIO_MMIO_MAX_QUEUES];
};

/* 1 MiB of RAM at DRV_RAM_GPA; drv_new_ram(): ram_size bytes exactly
 * (a multiple of 4 KiB), so ASan guards both ends. Abort on ENOMEM. */
struct drv *drv_new(void);
struct drv *drv_new_ram(uint32_t ram_size);
void drv_free(struct drv *d);
/* The fake irqchip's set_line: counts rising edges of DRV_IRQ (for tests
 * that install ops of their own around it). */
int drv_set_line(struct cellvm_irqchip *chip, unsigned line, bool level);
/* What a device's create function needs to put itself on d's bus. */
struct virtio_mmio_params drv_params(struct drv *d);

/* ---- the device: every access funnels through these three ---- */
int drv_reg(struct drv *d, uint64_t off, unsigned width, bool write,
	    uint64_t *val);
int drv_serve(struct virtio_mmio *t); /* handle what is pending, no wait */
void drv_destroy(struct virtio_mmio *t);

/* Register helpers for tests: abort if the bus refuses the access. */
uint32_t drv_read(struct drv *d, uint64_t off);
uint64_t drv_readn(struct drv *d, uint64_t off, unsigned len);
void drv_write(struct drv *d, uint64_t off, uint32_t val);
void drv_write64(struct drv *d, uint64_t lo_off, uint64_t val);

/* ---- guest RAM ---- */
/* Is [gpa, gpa + len) in RAM? Its offset in *off. */
bool drv_ram_off(const struct drv *d, uint64_t gpa, uint64_t len,
		 uint32_t *off);
void *drv_ptr(struct drv *d, uint64_t gpa); /* gpa must be in RAM */
uint64_t drv_alloc(struct drv *d, uint32_t len); /* 16-byte aligned */
void drv_put16(struct drv *d, uint64_t gpa, uint16_t v);
uint16_t drv_get16(struct drv *d, uint64_t gpa);
uint32_t drv_get32(struct drv *d, uint64_t gpa);
uint64_t drv_get64(struct drv *d, uint64_t gpa);

/* ---- rings, the well-behaved driver of the unit tests ---- */
/* Lay queue qi out at DRV_RAM_GPA + qi * DRV_Q_STRIDE (no device
 * involved): used by the virtqueue tests. */
struct drv_q *drv_layout(struct drv *d, unsigned qi, uint16_t size);
/* Steps 1-8 of 3.1.1 for nq queues of `size` entries; returns Status. */
uint32_t drv_setup(struct drv *d, unsigned nq, uint16_t size,
		   uint64_t features);
void drv_desc(struct drv *d, uint64_t table, uint16_t idx, uint64_t addr,
	      uint32_t len, uint16_t flags, uint16_t next);
/* Make `head` available and publish the new avail idx (2.7.13). */
void drv_publish(struct drv *d, unsigned qi, uint16_t head);
/* Chain n buffers in fresh descriptors, publish it, return its head. */
uint16_t drv_chain(struct drv *d, unsigned qi, const struct drv_buf *b,
		   unsigned n);
/* EVENT_IDX: interrupt me once the used idx passes v (2.7.10). */
void drv_used_event(struct drv *d, unsigned qi, uint16_t v);
uint16_t drv_used_idx(struct drv *d, unsigned qi);
uint32_t drv_used_id(struct drv *d, unsigned qi, uint16_t i);
uint32_t drv_used_len(struct drv *d, unsigned qi, uint16_t i);

#endif
