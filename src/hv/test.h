/* SPDX-License-Identifier: MIT */
/*
 * The scripted test backend: each vCPU replays a programmed list of exits,
 * and the backend records what the core answered (MMIO read data, injected
 * aborts, register writes, irq line changes), so tests drive the whole
 * exit-dispatch path without a hypervisor.
 */
#ifndef CELLVM_HV_TEST_H
#define CELLVM_HV_TEST_H

#include <stdbool.h>
#include "cellvm/arm64.h"
#include "cellvm/hv.h"

extern const struct cellvm_hv_ops cellvm_hv_test_ops;

#define CELLVM_HV_TEST_MAX_VCPUS 128
#define CELLVM_HV_TEST_MAX_STEPS 64
#define CELLVM_HV_TEST_MAX_LINES 128
/* Register ids the fake keeps (arch ids below this; arm64: all of them). */
#define CELLVM_HV_TEST_MAX_REGS 128

/*
 * A script step { .reason = CELLVM_EXIT_KICK, .unknown.code =
 * CELLVM_HV_TEST_BLOCK } stands for a guest that runs until it is kicked:
 * the run blocks until vcpu_kick (one made since the last such step
 * counts, as KVM's immediate_exit does), or CELLVM_HV_TEST_BLOCK_MS pass
 * (counted in block_timeouts), then returns the kick.
 */
#define CELLVM_HV_TEST_BLOCK 0xb10c
#define CELLVM_HV_TEST_BLOCK_MS 3000

struct cellvm_hv_test_vcpu_log {
	/* Data the core stored for each scripted MMIO read, by step. */
	uint64_t read_data[CELLVM_HV_TEST_MAX_STEPS];
	/* Step index of each injected abort and its address. */
	unsigned nr_aborts;
	uint64_t abort_addr[CELLVM_HV_TEST_MAX_STEPS];
	uint64_t reg[CELLVM_HV_TEST_MAX_REGS];
	bool reg_set[CELLVM_HV_TEST_MAX_REGS];
	unsigned steps_run;
	bool created;
	bool powered_off_at_create;
	unsigned features; /* CELLVM_CPU_* given at creation */
	bool pmu_ready; /* vcpu_pmu_init called */
	unsigned pmu_irq; /* the INTID it was given */
	bool pmu_after_irqchip; /* ... once the irqchip existed */
	bool irq_level; /* last set_vcpu_irq */
	/* The IRQ input's level as each step's run began, by step. */
	bool irq_at_run[CELLVM_HV_TEST_MAX_STEPS];
	unsigned irq_calls; /* set_vcpu_irq calls */
	/* ... made from a thread other than the one running this vCPU */
	unsigned irq_calls_elsewhere;
	unsigned kicks;
	unsigned block_timeouts;
};

/* Program vCPU `index`'s exits (copied); at the end of the script the vCPU
 * reports SHUTDOWN so a test can never hang. Call before running. */
int cellvm_hv_test_script(struct cellvm_hv *hv, unsigned index,
			  const struct cellvm_exit *exits, unsigned n);

/* What the core did to vCPU `index`. */
const struct cellvm_hv_test_vcpu_log *
cellvm_hv_test_log(struct cellvm_hv *hv, unsigned index);

/* Whether vCPU `index` is blocked in a CELLVM_HV_TEST_BLOCK step now. */
bool cellvm_hv_test_blocked(struct cellvm_hv *hv, unsigned index);

/* Level last set on a peripheral line through set_irq_line. */
bool cellvm_hv_test_line(struct cellvm_hv *hv, unsigned line);

/* Limit reported by max_vcpus (default CELLVM_HV_TEST_MAX_VCPUS). */
void cellvm_hv_test_set_max_vcpus(struct cellvm_hv *hv, int max);

/* The in-kernel irqchip types the fake accepts (bitmask of 1 << type). */
void cellvm_hv_test_set_irqchips(struct cellvm_hv *hv, unsigned mask);

/* Make inject_abort fail (an abort the hypervisor cannot deliver). */
void cellvm_hv_test_set_abort_fails(struct cellvm_hv *hv, bool fails);

/* Which irqchip type was created (NONE if none). */
enum cellvm_hv_irqchip_type cellvm_hv_test_irqchip(struct cellvm_hv *hv);

#endif
