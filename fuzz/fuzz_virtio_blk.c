// SPDX-License-Identifier: MIT
/*
 * Fuzz virtio-blk request parsing (virtio 1.2, 5.2.6) end to end: a
 * memfd-backed disk, a small guest RAM filled from the input, the queue
 * set up through the MMIO registers, then notifications served on this
 * thread. Requests of every type, valid or not, against a read-write or
 * read-only disk; nothing may crash or touch memory outside the RAM.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/bus.h"
#include "core/mem.h"
#include "dev/virtio_blk.h"

#define RAM_GPA 0x40000000ull
#define RAM_SIZE 0x10000u
#define DISK_SIZE 0x10000
#define BASE 0x0a000000ull
#define CTRL_BYTES 4
#define RING_DESC 0x0000u
#define RING_AVAIL 0x1000u
#define RING_USED 0x2000u

static void reg_write(struct cellvm_bus *bus, uint64_t off, uint32_t v)
{
	uint64_t val = v;

	if (cellvm_bus_access(bus, 0, BASE + off, 4, true, &val))
		abort();
}

static void drive(struct cellvm_bus *bus, struct virtio_mmio *t,
		  const uint8_t *ctrl)
{
	uint32_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
	unsigned i;

	reg_write(bus, VIRTIO_MMIO_STATUS, st);
	reg_write(bus, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	reg_write(bus, VIRTIO_MMIO_DRIVER_FEATURES,
		  (uint32_t)(ctrl[1] & 3) << VIRTIO_F_INDIRECT_DESC);
	reg_write(bus, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	reg_write(bus, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	st |= VIRTIO_STATUS_FEATURES_OK;
	reg_write(bus, VIRTIO_MMIO_STATUS, st);
	reg_write(bus, VIRTIO_MMIO_QUEUE_NUM, 1u << (ctrl[2] % 9));
	reg_write(bus, VIRTIO_MMIO_QUEUE_DESC_LOW, RAM_GPA + RING_DESC);
	reg_write(bus, VIRTIO_MMIO_QUEUE_DRIVER_LOW, RAM_GPA + RING_AVAIL);
	reg_write(bus, VIRTIO_MMIO_QUEUE_DEVICE_LOW, RAM_GPA + RING_USED);
	reg_write(bus, VIRTIO_MMIO_QUEUE_READY, 1);
	reg_write(bus, VIRTIO_MMIO_STATUS, st | VIRTIO_STATUS_DRIVER_OK);
	for (i = 0; i < 1u + (ctrl[3] & 3); i++) {
		reg_write(bus, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
		virtio_mmio_run_once(t, 0);
	}
}

static void quiet(void *opaque, enum cellvm_log_level lvl, const char *line)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cellvm_log log = { .level = CELLVM_LOG_DEBUG, .sink = quiet };
	struct cellvm_mem mem = { 0 };
	struct cellvm_bus bus = { 0 };
	struct virtio_blk_params p = { 0 };
	struct cellvm_err err = { 0 };
	struct virtio_mmio *blk;
	char path[64];
	uint8_t *ram;
	int fd;

	if (size < CTRL_BYTES)
		return 0;
	fd = memfd_create("fuzz-disk", 0);
	if (fd < 0 || ftruncate(fd, DISK_SIZE))
		abort();
	ram = calloc(1, RAM_SIZE);
	memcpy(ram, data + CTRL_BYTES,
	       size - CTRL_BYTES < RAM_SIZE ? size - CTRL_BYTES : RAM_SIZE);
	if (cellvm_mem_add(&mem, RAM_GPA, RAM_SIZE, ram))
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	p.mmio = (struct virtio_mmio_params){ .mem = &mem, .log = &log,
					      .base = BASE, .bus = &bus };
	p.path = path;
	p.readonly = data[0] & 1;
	if (virtio_blk_create(&p, &blk, &err))
		abort();
	drive(&bus, blk, data);
	virtio_mmio_destroy(blk);
	free(ram);
	close(fd);
	return 0;
}
