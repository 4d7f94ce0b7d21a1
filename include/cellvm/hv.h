/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor backend interface. The core drives a VM only through this
 * table, so backends build side by side: KVM (src/hv/kvm.c) and a scripted
 * test backend (src/hv/test.c) that replays programmed exits. Nothing here
 * is Linux-specific except that fast-path hooks take file descriptors,
 * which a backend without them simply refuses (-EOPNOTSUPP).
 *
 * A run returns a normalized exit record: a backend whose kernel does not
 * decode data aborts (seL4) would decode the syndrome itself.
 */
#ifndef CELLVM_HV_H
#define CELLVM_HV_H

#include <stdbool.h>
#include <stdint.h>
#include "err.h"

struct cellvm_hv; /* backend's VM */
struct cellvm_board_ops; /* a machine, see cellvm.h */
/* The interrupt controller the board asks for; its layout is the
 * architecture's (arm64.h). */
struct cellvm_hv_irqchip_desc;
struct cellvm_hv_vcpu; /* backend's vCPU */

/* ioctl requests a backend issues, for system call filters. */
struct cellvm_hv_ioctl_list {
	const unsigned long *req;
	unsigned n;
};

/*
 * Which requests the backend makes where: setup while a VM is created and
 * destroyed (on the thread that calls cellvm_vm_create), vcpu from a
 * vCPU's own thread (run, register dumps, abort injection), irq from any
 * thread that raises an interrupt (vCPUs, device workers, the loop).
 */
struct cellvm_hv_ioctls {
	struct cellvm_hv_ioctl_list setup, vcpu, irq;
};

enum cellvm_exit_reason {
	CELLVM_EXIT_NONE = 0,
	CELLVM_EXIT_MMIO, /* decoded access outside RAM: mmio.* */
	CELLVM_EXIT_SHUTDOWN, /* guest asked to power off (PSCI SYSTEM_OFF) */
	CELLVM_EXIT_RESET, /* guest asked to reboot (PSCI SYSTEM_RESET) */
	CELLVM_EXIT_CRASH, /* guest reported a crash */
	CELLVM_EXIT_KICK, /* run interrupted (kick or signal); no guest event */
	CELLVM_EXIT_IRQ_LEVELS, /* user irqchip: timer/PMU line levels changed */
	CELLVM_EXIT_UNDECODED_ABORT, /* data abort with no valid syndrome */
	CELLVM_EXIT_FAIL_ENTRY, /* the hypervisor could not enter the guest */
	CELLVM_EXIT_UNKNOWN, /* anything else: unknown.code */
};

struct cellvm_exit {
	enum cellvm_exit_reason reason;
	/* Levels of the vCPU's own device lines (bits defined by the
	 * architecture: CELLVM_DEV_IRQ_* in arm64.h), valid on every exit
	 * when the backend runs without an in-kernel irqchip. */
	uint32_t dev_irq_level;
	union {
		struct {
			uint64_t addr;
			/* Written value, or the caller stores the read result
			 * here before the next vcpu_run. Little-endian. */
			uint64_t data;
			unsigned len;
			bool is_write;
		} mmio;
		struct {
			uint64_t addr;
			uint64_t info;
		} abort;
		struct {
			uint64_t code;
		} unknown;
	};
};

struct cellvm_hv_ops {
	const char *name;
	/* The machine a config without one gets (cellvm_config.board). */
	const struct cellvm_board_ops *board;
	/* dev_fd: an open handle on the backend's device, or -1 to open it
	 * (cellvm_config.hv_fd); the VM keeps a duplicate. */
	int (*vm_create)(int dev_fd, struct cellvm_hv **out,
			 struct cellvm_err *err);
	void (*vm_destroy)(struct cellvm_hv *hv);
	/* Largest vCPU count the VM can have. */
	int (*max_vcpus)(struct cellvm_hv *hv);
	/* Back [gpa, gpa+size) with host memory. */
	int (*map_mem)(struct cellvm_hv *hv, unsigned slot, uint64_t gpa,
		       void *host, uint64_t size, struct cellvm_err *err);
	/* Which of the CPU features `want` (arch-defined flags:
	 * CELLVM_CPU_* in arm64.h) the host offers: *have is that subset;
	 * 0 when it is all of want, else -EOPNOTSUPP with err
	 * (CELLVM_E_HOST) naming what the host lacks for the first missing
	 * one. NULL: the backend offers none. */
	int (*cpu_features)(struct cellvm_hv *hv, unsigned want,
			    unsigned *have, struct cellvm_err *err);
	/* Create vCPU `index` with `features` (offered by cpu_features);
	 * secondaries (powered_off) wait for PSCI CPU_ON. */
	int (*vcpu_create)(struct cellvm_hv *hv, unsigned index,
			   bool powered_off, unsigned features,
			   struct cellvm_hv_vcpu **out, struct cellvm_err *err);
	void (*vcpu_destroy)(struct cellvm_hv_vcpu *v);
	/* Create the in-kernel irqchip after the vCPUs. -ENODEV when this
	 * type is unavailable (the caller may try another). */
	int (*irqchip_create)(struct cellvm_hv *hv,
			      const struct cellvm_hv_irqchip_desc *desc,
			      struct cellvm_err *err);
	/* A vCPU created with CELLVM_CPU_PMU: after irqchip_create and
	 * before its first run, connect the PMU's overflow output to INTID
	 * `irq` of the in-kernel irqchip, or, without one, report its level
	 * in exit.dev_irq_level (arm64.h: CELLVM_DEV_IRQ_PMU); then make it
	 * ready. */
	int (*vcpu_pmu_init)(struct cellvm_hv_vcpu *v, unsigned irq,
			     struct cellvm_err *err);
	/* Run until the next exit. The exit filled by the previous call is
	 * passed back in, with MMIO read results stored in it. */
	int (*vcpu_run)(struct cellvm_hv_vcpu *v, struct cellvm_exit *exit);
	/* Make a vcpu_run in another thread return soon with
	 * CELLVM_EXIT_KICK, or the next one if none is in progress. */
	void (*vcpu_kick)(struct cellvm_hv_vcpu *v);
	/* Registers by arch-defined id (arm64.h). */
	int (*get_reg)(struct cellvm_hv_vcpu *v, uint64_t id, uint64_t *val);
	int (*set_reg)(struct cellvm_hv_vcpu *v, uint64_t id, uint64_t val);
	/* In-kernel irqchip: drive a shared peripheral line. */
	int (*set_irq_line)(struct cellvm_hv *hv, unsigned line, bool level);
	/* No in-kernel irqchip: drive the vCPU's own IRQ input. The core
	 * calls it only from the thread that runs this vCPU, between runs
	 * (a KVM 6.1 host can lose a line set from another thread). */
	int (*set_vcpu_irq)(struct cellvm_hv_vcpu *v, bool level);
	/* Answer the last exit with an external data abort. */
	int (*inject_abort)(struct cellvm_hv_vcpu *v, uint64_t addr);
	/* Optional fast paths; -EOPNOTSUPP when absent. */
	int (*ioeventfd)(struct cellvm_hv *hv, uint64_t addr, unsigned len,
			 int fd);
	int (*irqfd)(struct cellvm_hv *hv, unsigned line, int fd);
	/* The ioctl requests above use; NULL for a backend without any. */
	const struct cellvm_hv_ioctls *ioctls;
};

/* The backends libcellvm has (the scripted test backend: src/hv/test.h). */
extern const struct cellvm_hv_ops cellvm_hv_kvm_ops;

#endif
