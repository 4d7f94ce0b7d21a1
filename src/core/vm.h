/* SPDX-License-Identifier: MIT */
/*
 * The VM context object (internal to libcellvm). Everything a VM owns hangs
 * off struct cellvm_vm: no file-scope state, so several VMs can share a
 * process. The board (the machine: memory map, devices, boot protocol)
 * plugs in through struct cellvm_board_ops; the hypervisor through
 * struct cellvm_hv_ops. Neither is named here: the config or the backend
 * chooses the board.
 */
#ifndef CELLVM_CORE_VM_H
#define CELLVM_CORE_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cellvm/cellvm.h"
#include "cellvm/hv.h"
#include "cellvm/log.h"
#include "core/bus.h"
#include "core/console.h"
#include "core/irq.h"
#include "core/mem.h"

/* Devices a VM owns: every bus window may be a device. */
#define CELLVM_MAX_DEVICES CELLVM_BUS_MAX_DEVICES

struct cellvm_vm;
struct cellvm_vcpu;
struct cellvm_evloop;
struct cellvm_console;

/* A register to show in a dump: arch-defined id and name. */
struct cellvm_reg_desc {
	uint64_t id;
	const char *name;
};

/*
 * What the board contributes. Stages run in this order: setup (irqchip,
 * devices), load (images, device tree), vcpu_boot (boot registers of
 * vCPU 0). vcpu_exit sees every exit before the core dispatches it (the
 * arm64 board forwards a vCPU's timer and PMU line levels to a user-space
 * GIC there). teardown runs after the devices stopped, before they are
 * freed.
 */
struct cellvm_board_ops {
	const char *name;
	uint64_t ram_base; /* guest-physical start of RAM */
	uint64_t ram_max; /* the most RAM its address map holds; 0: no limit */
	int (*setup)(struct cellvm_vm *vm, struct cellvm_err *err);
	int (*load)(struct cellvm_vm *vm, struct cellvm_err *err);
	int (*vcpu_boot)(struct cellvm_vm *vm, struct cellvm_vcpu *v,
			 struct cellvm_err *err);
	void (*vcpu_exit)(struct cellvm_vm *vm, struct cellvm_vcpu *v,
			  const struct cellvm_exit *exit);
	/* Optional: emulate a data abort at ipa that came without a
	 * syndrome (CELLVM_EXIT_UNDECODED_ABORT). 0 when done (registers
	 * and PC updated), else -errno with why (a NUL-terminated phrase
	 * of at most why_len bytes) for the log; the core then injects an
	 * external abort. */
	int (*emulate_abort)(struct cellvm_vm *vm, struct cellvm_vcpu *v,
			     uint64_t ipa, char *why, size_t why_len);
	void (*teardown)(struct cellvm_vm *vm);
	/* Optional: press the machine's power button (the guest sees a
	 * press and a release), on the event-loop thread while vCPUs run.
	 * 0 or -errno with err set. NULL: the board has none. */
	int (*power_button)(struct cellvm_vm *vm, struct cellvm_err *err);
	/* Registers shown in a dump, by the backend's register ids. */
	const struct cellvm_reg_desc *regs;
	unsigned nr_regs;
};

struct cellvm_vcpu {
	struct cellvm_vm *vm;
	unsigned index;
	struct cellvm_hv_vcpu *hv;
	pthread_t thread;
	bool thread_started;
	struct cellvm_exit exit;
	unsigned failures; /* consecutive aborts that could not be injected */
	struct cellvm_ratelimit rl;
	/*
	 * The vCPU's IRQ input (user irqchip). Any thread records the level
	 * it wants in irq_want; only the vCPU's own thread gives it to the
	 * backend, before each run (docs/irqchip.md: a hypervisor can lose
	 * a line set from another thread). irq_set: the level it last gave.
	 */
	atomic_bool irq_want;
	bool irq_set;
	/* Guards self and running, so that a kick never signals a thread
	 * that has left its loop (and may be joined). */
	pthread_mutex_t kick_lock;
	pthread_t self;
	bool running;
	/* Counters (cellvm_vm_counters), written by this vCPU's thread. */
	_Atomic uint64_t exits, exits_mmio, exits_kick;
};

/* A device the VM owns: how to stop and free it at teardown. */
struct cellvm_vm_device {
	void *opaque;
	void (*stop)(void *opaque);
	void (*destroy)(void *opaque);
	/* Optional: start again what stop stopped (cellvm_vm_resume);
	 * 0 or -errno. A device with stop but no start is not stopped by a
	 * pause. */
	int (*start)(void *opaque, struct cellvm_err *err);
	/* Optional, disks only: a new backing file (cellvm_vm_disk_replace);
	 * the disks have it in the order of the configuration's list. */
	int (*replace)(void *opaque, const char *path, struct cellvm_err *err);
};

struct cellvm_vm {
	struct cellvm_config cfg;
	const struct cellvm_hv_ops *hv_ops;
	struct cellvm_hv *hv;
	const struct cellvm_board_ops *board;
	void *board_priv;
	struct cellvm_log log;

	uint8_t *ram;
	uint64_t ram_size;
	struct cellvm_mem mem;
	struct cellvm_bus bus;
	struct cellvm_irqchip irqchip;

	unsigned ncpus;
	unsigned cpu_features; /* CELLVM_CPU_* the vCPUs have */
	struct cellvm_vcpu vcpu[CELLVM_MAX_VCPUS];

	struct cellvm_evloop *loop;
	struct cellvm_console *console;

	struct cellvm_vm_device dev[CELLVM_MAX_DEVICES];
	unsigned nr_devs;

	atomic_int stop; /* enum cellvm_stop; first writer wins */
	struct cellvm_err run_err; /* why CELLVM_STOP_ERROR */
	pthread_mutex_t err_lock;
	_Atomic uint64_t mark[CELLVM_MARK_NR];
	/* The guest's RTC minus host UTC (ns): the board's RTC keeps it
	 * here, where cellvm_vm_rtc_offset() reads it for the next boot. */
	_Atomic int64_t rtc_offset_ns;
	uint64_t created_ns; /* CLOCK_MONOTONIC at creation (uptime) */

	/*
	 * Pause (pause.c). pause_want is set by cellvm_vm_pause(); each vCPU
	 * thread sees it before its next run, counts itself in nr_held and
	 * waits on pause_cond until it is cleared or the VM stops.
	 */
	pthread_mutex_t pause_lock;
	pthread_cond_t pause_cond;
	atomic_bool pause_want;
	bool paused;
	unsigned nr_held;
};

/* Record a boot mark once (the first time it is reached). */
void vm_mark(struct cellvm_vm *vm, enum cellvm_boot_mark m);

/* Stop with an error: records the message (first one wins). */
void vm_fail(struct cellvm_vm *vm, struct cellvm_err *err);

/*
 * Call the config's thread_enter for a thread of `kind` (the calling
 * thread); a failure stops the VM with an error. 0 or -errno. The
 * signature takes the VM as void * so device workers can be handed it.
 */
int vm_thread_enter(void *vm, enum cellvm_thread_kind kind) CELLVM_MUST_CHECK;

/* Register a device for stop/destroy at teardown. With
 * vm_device_set_start() on the device just registered, a pause stops it
 * and a resume starts it again. */
void vm_device_set_start(struct cellvm_vm *vm,
			 int (*start)(void *opaque, struct cellvm_err *err));

/* Give the device just registered a replace call (a disk). */
void vm_device_set_replace(struct cellvm_vm *vm,
			   int (*replace)(void *opaque, const char *path,
					  struct cellvm_err *err));

/* vCPU thread, before each run: wait while the VM is paused (pause.c). */
void vm_pause_point(struct cellvm_vm *vm);
/* On stop: release the vCPUs a pause holds. */
void vm_pause_release(struct cellvm_vm *vm);
/* Register a device for stop/destroy at teardown. */
int vm_own_device(struct cellvm_vm *vm, void *opaque,
		  void (*stop)(void *opaque),
		  void (*destroy)(void *opaque)) CELLVM_MUST_CHECK;

/* vCPU loop and exit dispatch (vcpu.c). */
enum vcpu_action {
	VCPU_CONTINUE,
	VCPU_STOP,
};
enum vcpu_action vcpu_handle_exit(struct cellvm_vcpu *v);
void *vcpu_thread(void *arg);
/* Any thread: drive the vCPU's IRQ input (user irqchip) to `level`. The
 * vCPU's own thread applies it before its next run; from another thread
 * this also kicks the vCPU so that it does so promptly. */
void vcpu_set_irq(struct cellvm_vcpu *v, bool level);
void vcpu_dump_regs(struct cellvm_vcpu *v, enum cellvm_log_level lvl);

/* Event loop (evloop.c). */
int evloop_create(struct cellvm_evloop **out, struct cellvm_err *err);
void evloop_destroy(struct cellvm_evloop *l);
/* Run until `stop` becomes non-zero; wake with evloop_wake(). */
int evloop_run(struct cellvm_evloop *l, atomic_int *stop);
void evloop_wake(struct cellvm_evloop *l);

/* Console (console.c). */
int console_create(struct cellvm_vm *vm, int in_fd, int out_fd,
		   struct cellvm_console **out, struct cellvm_err *err);
void console_destroy(struct cellvm_console *c);
/* Bytes read from the host's input and written to its output so far
 * (0 for a NULL console). Thread-safe. */
void console_counters(const struct cellvm_console *c, uint64_t *in,
		      uint64_t *out);

#endif
