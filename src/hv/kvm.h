/* SPDX-License-Identifier: MIT */
/*
 * The KVM backend, internal: the state shared by its common part (kvm.c:
 * /dev/kvm, VMs, memory, vCPUs, KVM_RUN and kicks, generic exits) and its
 * architecture part (kvm_arm64.c: vCPU init, registers, the vGIC,
 * interrupt lines, arm64 exits), which also holds the backend table.
 * Only these files include <linux/kvm.h>.
 */
#ifndef CELLVM_HV_KVM_H
#define CELLVM_HV_KVM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "cellvm/hv.h"

struct cellvm_hv {
	int kvm_fd;
	int vm_fd;
	int irqchip_fd; /* in-kernel irqchip device, -1: none */
	size_t run_size;
	bool user_irq; /* no in-kernel irqchip */
	struct kvm_vcpu_init init; /* arm64: KVM_ARM_PREFERRED_TARGET */
};

struct cellvm_hv_vcpu {
	struct cellvm_hv *hv;
	unsigned index;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	_Atomic bool thread_known;
	_Atomic bool kick_pending;
	bool signals_ready;
	unsigned features; /* CELLVM_CPU_* (arm64.h) */
};

/* ---- common part (kvm.c), for the table in the architecture part ---- */
int kvm_vm_create(int dev_fd, struct cellvm_hv **out, struct cellvm_err *err);
void kvm_vm_destroy(struct cellvm_hv *hv);
int kvm_max_vcpus(struct cellvm_hv *hv);
int kvm_map_mem(struct cellvm_hv *hv, unsigned slot, uint64_t gpa,
		void *host, uint64_t size, struct cellvm_err *err);
int kvm_vcpu_create(struct cellvm_hv *hv, unsigned index, bool powered_off,
		    unsigned features, struct cellvm_hv_vcpu **out,
		    struct cellvm_err *err);
void kvm_vcpu_destroy(struct cellvm_hv_vcpu *v);
int kvm_vcpu_run(struct cellvm_hv_vcpu *v, struct cellvm_exit *exit);
void kvm_vcpu_kick(struct cellvm_hv_vcpu *v);
int kvm_get_reg(struct cellvm_hv_vcpu *v, uint64_t id, uint64_t *val);
int kvm_set_reg(struct cellvm_hv_vcpu *v, uint64_t id, uint64_t val);
int kvm_ioeventfd(struct cellvm_hv *hv, uint64_t addr, unsigned len, int fd);

/* ---- architecture part (kvm_arm64.c), called by the common part ---- */
/* After KVM_CREATE_VM: per-VM set-up (vCPU target, capabilities). */
int kvm_arch_vm_init(struct cellvm_hv *hv, struct cellvm_err *err);
/* After KVM_CREATE_VCPU and mapping kvm_run: initialise the vCPU with
 * the optional features in v->features. */
int kvm_arch_vcpu_init(struct cellvm_hv_vcpu *v, bool powered_off,
		       struct cellvm_err *err);
/* Fill the architecture's part of every exit (line levels), and decode
 * the exit reasons the common part does not know: true if it did. */
bool kvm_arch_exit(struct cellvm_hv_vcpu *v, struct cellvm_exit *e);
/* cellvm's register id to v's KVM one-reg id; -EINVAL if unknown. For a
 * one-reg wider than 64 bits, *word says which 64-bit word of its low
 * 128 bits id names. */
int kvm_arch_reg_id(const struct cellvm_hv_vcpu *v, uint64_t id,
		    uint64_t *kid, unsigned *word);

#endif
