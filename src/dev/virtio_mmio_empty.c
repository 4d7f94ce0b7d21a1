// SPDX-License-Identifier: MIT
/*
 * Unused virtio-mmio slots, answered as QEMU's virt board answers a
 * transport with nothing plugged in: virtio 1.2, "4.2.2 MMIO Device
 * Register Layout", with DeviceID 0, which "4.2.3.1.2 Driver Requirements:
 * Device Initialization" tells a driver to ignore without reporting an
 * error ("5 Device Types": ID 0 is reserved, invalid).
 *
 * Emulated, per 0x200-byte slot, 32-bit reads only: MagicValue
 * ("virt"), Version 2 (as cellvm's transports), DeviceID 0. Everything
 * else reads as zero and ignores writes, with a rate-limited log line.
 *
 * Why: guests and test suites probe the whole virtio-mmio region (a device
 * tree dumped from QEMU lists all 32 slots; bare-metal suites scan them),
 * and on real boards the slots decode. An external abort there kills a
 * Linux driver probe; "no device" lets it carry on.
 *
 * No device-tree node: cellvm's generated tree lists only the slots that
 * hold a device.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "dev/virtio_mmio.h"
#include "dev/virtio_mmio_empty.h"

struct virtio_mmio_empty {
	pthread_mutex_t lock; /* rl */
	const struct cellvm_log *log;
	struct cellvm_ratelimit rl;
};

int virtio_mmio_empty_create(const struct cellvm_log *log,
			     struct virtio_mmio_empty **out)
{
	struct virtio_mmio_empty *e = calloc(1, sizeof(*e));
	int ret;

	if (!e)
		return -ENOMEM;
	ret = pthread_mutex_init(&e->lock, NULL);
	if (ret) {
		free(e);
		return -ret;
	}
	e->log = log;
	*out = e;
	return 0;
}

void virtio_mmio_empty_destroy(struct virtio_mmio_empty *e)
{
	if (!e)
		return;
	pthread_mutex_destroy(&e->lock);
	free(e);
}

static void empty_warn(struct virtio_mmio_empty *e, const char *what,
		       const struct cellvm_access_info *a)
{
	pthread_mutex_lock(&e->lock);
	cellvm_log_ratelimited(e->log, &e->rl, CELLVM_LOG_WARN,
			       "virtio-mmio", "cpu%u @%#llx: %u-byte %s of an empty slot ignored",
			       a->cpu, (unsigned long long)a->addr, a->size, what);
	pthread_mutex_unlock(&e->lock);
}

static uint64_t empty_read(void *opaque, const struct cellvm_access_info *a)
{
	uint64_t reg = a->offset % VIRTIO_MMIO_WINDOW_SIZE;

	if (a->size == sizeof(uint32_t)) {
		switch (reg) {
		case VIRTIO_MMIO_MAGIC_VALUE:
			return VIRTIO_MMIO_MAGIC;
		case VIRTIO_MMIO_VERSION:
			return VIRTIO_MMIO_VERSION_2;
		case VIRTIO_MMIO_DEVICE_ID:
			return 0; /* no device */
		}
	}
	empty_warn(opaque, "read", a);
	return 0;
}

static void empty_write(void *opaque, const struct cellvm_access_info *a,
			uint64_t value)
{
	empty_warn(opaque, "write", a);
}

const struct cellvm_mmio_ops virtio_mmio_empty_ops = {
	.read = empty_read,
	.write = empty_write,
};
