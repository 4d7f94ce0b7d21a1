// SPDX-License-Identifier: MIT
/*
 * virtio-console: virtio 1.2, "5.3 Console Device", as the guest's hvc0.
 *
 * Emulated: port 0 only: receiveq (queue 0) fed from the host console
 * with back-pressure (receive() takes only what fits in posted buffers
 * and rx_ready() is called once more buffers arrive), transmitq (queue 1)
 * to the host console through the tx callback on the worker thread.
 * Not emulated: VIRTIO_CONSOLE_F_SIZE, _MULTIPORT (and so the control
 * queues), _EMERG_WRITE; the configuration space reads as zeroes (5.3.4).
 *
 * Device tree node: the transport's (see virtio_mmio.c).
 */
#include <errno.h>
#include <stdlib.h>

#include "dev/virtio_console.h"
#include "dev/virtio_devices.h"

#define CONSOLE_RXQ 0
#define CONSOLE_TXQ 1
/* 5.3.4: cols, rows, max_nr_ports, emerg_wr */
#define CONSOLE_CONFIG_SIZE 12
#define CONSOLE_TX_BUDGET 64

struct virtio_console {
	struct virtio_mmio *t;
	void (*tx)(void *opaque, const uint8_t *buf, size_t len);
	void (*rx_ready)(void *opaque);
	void *cb_opaque;
	bool rx_waiting; /* the host has input the guest had no room for */
	struct virtq_chain rx_chain; /* under the transport lock */
	struct virtq_chain tx_chain; /* worker-thread only */
};

static int tx_piece(void *ctx, uint8_t *p, size_t n)
{
	struct virtio_console *vc = ctx;

	vc->tx(vc->cb_opaque, p, n);
	return 0;
}

/* Worker: the guest's output; nothing is written back (used len 0). */
static uint32_t console_tx(void *dev, struct virtq_chain *c)
{
	struct virtio_console *vc = dev;

	if (vc->tx)
		virtq_chain_walk(c, false, 0, c->out_len, tx_piece, vc);
	return 0;
}

static bool console_process(void *dev)
{
	struct virtio_console *vc = dev;
	bool more, wake = false;

	more = virtio_mmio_serve(vc->t, CONSOLE_TXQ, &vc->tx_chain,
				 CONSOLE_TX_BUDGET, console_tx, vc);
	virtio_mmio_lock(vc->t);
	if (vc->rx_waiting && virtio_mmio_has_avail(vc->t, CONSOLE_RXQ)) {
		vc->rx_waiting = false;
		wake = true;
	}
	virtio_mmio_unlock(vc->t);
	if (wake && vc->rx_ready)
		vc->rx_ready(vc->cb_opaque);
	return more;
}

size_t virtio_console_receive(void *opaque, const uint8_t *buf, size_t len)
{
	struct virtio_console *vc = opaque;
	struct virtq_chain *c = &vc->rx_chain;
	size_t done = 0, n;
	unsigned chains;
	uint32_t gen;

	virtio_mmio_lock(vc->t);
	/* At most a queue's worth of chains per call, however the guest
	 * keeps refilling. */
	for (chains = 0; done < len && chains < VIRTQ_MAX_SIZE; chains++) {
		if (virtio_mmio_pop(vc->t, CONSOLE_RXQ, c, &gen) == 0) {
			if (virtio_mmio_enable_notify(vc->t, CONSOLE_RXQ))
				continue;
			break;
		}
		n = len - done < c->in_len ? len - done : c->in_len;
		if (n && virtq_chain_write(c, 0, buf + done, n))
			n = 0;
		virtio_mmio_push(vc->t, CONSOLE_RXQ, c->head, (uint32_t)n, gen);
		done += n;
	}
	if (done < len)
		vc->rx_waiting = true;
	virtio_mmio_unlock(vc->t);
	return done;
}

static void console_reset(void *dev)
{
	struct virtio_console *vc = dev;

	/* Whatever the host holds back goes to the next driver. */
	vc->rx_waiting = true;
}

static void console_free(void *dev)
{
	free(dev);
}

static const struct virtio_dev_ops console_ops = {
	.name = "virtio-console",
	.device_id = VIRTIO_ID_CONSOLE,
	.thread_kind = CELLVM_THREAD_VIRTIO_CONSOLE,
	.num_queues = 2,
	.process = console_process,
	.reset = console_reset,
	.destroy = console_free,
};

int virtio_console_create(const struct virtio_console_params *p,
			  struct virtio_mmio **out, struct cellvm_err *err)
{
	static const uint8_t config[CONSOLE_CONFIG_SIZE];
	struct virtio_console *vc = calloc(1, sizeof(*vc));
	int ret;

	if (!vc)
		return cellvm_err_set(err, CELLVM_E_HOST, ENOMEM,
				      "virtio-console: out of memory");
	vc->tx = p->tx;
	vc->rx_ready = p->rx_ready;
	vc->cb_opaque = p->cb_opaque;
	vc->rx_waiting = true;
	ret = virtio_mmio_create(&p->mmio, &console_ops, vc, &vc->t, err);
	if (ret) {
		free(vc);
		return ret;
	}
	virtio_mmio_set_config(vc->t, config, sizeof(config));
	ret = virtio_mmio_attach(vc->t, p->mmio.bus, err);
	if (ret) {
		virtio_mmio_destroy(vc->t);
		return ret;
	}
	*out = vc->t;
	return 0;
}

struct cellvm_console_port virtio_console_port(struct virtio_mmio *t)
{
	return (struct cellvm_console_port){
		.receive = virtio_console_receive,
		.opaque = virtio_mmio_device(t),
	};
}

static void host_tx(void *opaque, const uint8_t *buf, size_t len)
{
	cellvm_console_write(opaque, buf, len);
}

static void host_rx_ready(void *opaque)
{
	cellvm_console_rx_ready(opaque);
}

/* The guest console: output to env->console, which feeds it input. */
static int console_new(const struct cellvm_dev_cfg *cfg,
		       const struct virtio_dev_env *env,
		       struct virtio_mmio **out, struct cellvm_err *err)
{
	struct virtio_console_params p = {
		.mmio = env->mmio,
		.tx = host_tx,
		.rx_ready = host_rx_ready,
		.cb_opaque = env->console,
	};
	struct cellvm_console_port port;
	int ret;

	ret = virtio_console_create(&p, out, err);
	if (ret)
		return ret;
	port = virtio_console_port(*out);
	if (env->console)
		console_attach(env->console, &port);
	return 0;
}

const struct virtio_dev_type virtio_console_type = {
	.name = "virtio-console",
	.type = CELLVM_DEV_VIRTIO_CONSOLE,
	.create = console_new,
};
