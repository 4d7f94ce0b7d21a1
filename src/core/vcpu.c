// SPDX-License-Identifier: MIT
/*
 * The vCPU loop: run the vCPU to its next exit, handle the exit, repeat
 * until the VM stops. Exit handling is a plain function of an already
 * decoded exit record, so it is unit-tested with the scripted backend.
 *
 * What the guest cannot be allowed to do is stop cellvm: an access to no
 * device, an abort the hypervisor could not decode, or an exit nobody knows
 * is logged (rate-limited, with a register dump) and answered as hardware
 * answers a bus error: an external data abort injected into the guest.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/vm.h"

/* After this many consecutive exits whose abort could not even be
 * delivered the guest can make no progress at all: give up. A delivered
 * abort is progress (the guest's handler runs: a Linux guest kills the
 * process that did it), however many follow. */
#define VCPU_MAX_FAILURES 1000

void vcpu_dump_regs(struct cellvm_vcpu *v, enum cellvm_log_level lvl)
{
	const struct cellvm_board_ops *board = v->vm->board;
	char line[512];
	size_t n = 0;
	unsigned i;

	if (!board)
		return;
	for (i = 0; i < board->nr_regs; i++) {
		uint64_t val = 0;
		int w;

		if (v->vm->hv_ops->get_reg(v->hv, board->regs[i].id, &val))
			continue;
		w = snprintf(line + n, sizeof(line) - n, "%s=%016" PRIx64 " ",
			     board->regs[i].name, val);
		if (w < 0 || (size_t)w >= sizeof(line) - n) {
			line[n] = '\0';
			if (n)
				cellvm_log(&v->vm->log, lvl, "vcpu",
					   "cpu%u: %s", v->index, line);
			/* Retry on a fresh line, once: an empty line that
			 * cannot hold it would never make room. */
			if (n)
				i--;
			n = 0;
			continue;
		}
		n += (size_t)w;
		if (i % 4 == 3) {
			cellvm_log(&v->vm->log, lvl, "vcpu", "cpu%u: %s",
				   v->index, line);
			n = 0;
		}
	}
	if (n)
		cellvm_log(&v->vm->log, lvl, "vcpu", "cpu%u: %s", v->index,
			   line);
}

/* Answer an exit cellvm cannot handle with an external abort. */
static enum vcpu_action vcpu_bus_error(struct cellvm_vcpu *v, uint64_t addr,
				       const char *what)
{
	struct cellvm_vm *vm = v->vm;

	if (cellvm_log_ratelimited(&vm->log, &v->rl, CELLVM_LOG_WARN, "vcpu",
				   "cpu%u: %s at 0x%" PRIx64
				   ": injecting external abort",
				   v->index, what, addr))
		vcpu_dump_regs(v, CELLVM_LOG_WARN);
	if (vm->hv_ops->inject_abort(v->hv, addr) == 0) {
		v->failures = 0;
		return VCPU_CONTINUE;
	}
	cellvm_log_ratelimited(&vm->log, &v->rl, CELLVM_LOG_WARN, "vcpu",
			       "cpu%u: cannot inject abort", v->index);
	if (++v->failures >= VCPU_MAX_FAILURES) {
		struct cellvm_err err = { 0 };

		cellvm_err_set(&err, CELLVM_E_INTERNAL, EFAULT,
			       "cpu%u: guest made no progress: %u aborts in a row could not be delivered (last: %s at 0x%" PRIx64
			       ")",
			       v->index, VCPU_MAX_FAILURES, what, addr);
		vm_fail(vm, &err);
		return VCPU_STOP;
	}
	return VCPU_CONTINUE;
}

static enum vcpu_action vcpu_mmio(struct cellvm_vcpu *v)
{
	struct cellvm_vm *vm = v->vm;
	struct cellvm_exit *e = &v->exit;
	int ret;

	ret = cellvm_bus_access(&vm->bus, v->index, e->mmio.addr, e->mmio.len,
				e->mmio.is_write, &e->mmio.data);
	if (ret == 0) {
		v->failures = 0;
		return VCPU_CONTINUE;
	}
	if (!e->mmio.is_write)
		e->mmio.data = 0;
	return vcpu_bus_error(v, e->mmio.addr,
			      ret == -ENODEV ? "access to unmapped address"
					     : "malformed MMIO access");
}

/* A data abort the hypervisor could not decode: the board may
 * fetch, decode and perform the access itself; if not, a bus error. */
static enum vcpu_action vcpu_undecoded(struct cellvm_vcpu *v)
{
	struct cellvm_vm *vm = v->vm;
	uint64_t addr = v->exit.abort.addr;
	char why[96] = "no emulation";
	char what[160];

	if (vm->board && vm->board->emulate_abort &&
	    vm->board->emulate_abort(vm, v, addr, why, sizeof(why)) == 0) {
		v->failures = 0;
		return VCPU_CONTINUE;
	}
	snprintf(what, sizeof(what), "data abort without syndrome (%s)", why);
	return vcpu_bus_error(v, addr, what);
}

static enum vcpu_action vcpu_stop(struct cellvm_vcpu *v, enum cellvm_stop why)
{
	cellvm_vm_request_stop(v->vm, why);
	return VCPU_STOP;
}

enum vcpu_action vcpu_handle_exit(struct cellvm_vcpu *v)
{
	struct cellvm_vm *vm = v->vm;
	struct cellvm_exit *e = &v->exit;

	if (vm->board && vm->board->vcpu_exit)
		vm->board->vcpu_exit(vm, v, e);
	switch (e->reason) {
	case CELLVM_EXIT_MMIO:
		return vcpu_mmio(v);
	case CELLVM_EXIT_SHUTDOWN:
		return vcpu_stop(v, CELLVM_STOP_POWEROFF);
	case CELLVM_EXIT_RESET:
		return vcpu_stop(v, CELLVM_STOP_RESET);
	case CELLVM_EXIT_CRASH:
		cellvm_log(&vm->log, CELLVM_LOG_WARN, "vcpu",
			   "cpu%u: guest reported a crash", v->index);
		vcpu_dump_regs(v, CELLVM_LOG_WARN);
		return vcpu_stop(v, CELLVM_STOP_CRASH);
	case CELLVM_EXIT_KICK:
	case CELLVM_EXIT_IRQ_LEVELS:
	case CELLVM_EXIT_NONE:
		v->failures = 0;
		return VCPU_CONTINUE;
	case CELLVM_EXIT_UNDECODED_ABORT:
		return vcpu_undecoded(v);
	case CELLVM_EXIT_FAIL_ENTRY: {
		struct cellvm_err err = { 0 };

		cellvm_err_set(&err, CELLVM_E_INTERNAL, EIO,
			       "cpu%u: hypervisor failed to enter the guest (reason 0x%" PRIx64
			       ")",
			       v->index, e->unknown.code);
		vcpu_dump_regs(v, CELLVM_LOG_ERROR);
		vm_fail(vm, &err);
		return VCPU_STOP;
	}
	case CELLVM_EXIT_UNKNOWN:
	default:
		return vcpu_bus_error(v, e->unknown.code, "unknown exit");
	}
}

void *vcpu_thread(void *arg)
{
	struct cellvm_vcpu *v = arg;
	struct cellvm_vm *vm = v->vm;
	bool first = true;

	/* The vCPU was set up by the creating thread: restrict this one
	 * before its first exit. */
	if (vm_thread_enter(vm, CELLVM_THREAD_VCPU))
		return NULL;
	while (atomic_load(&vm->stop) == CELLVM_STOP_NONE) {
		int ret;

		if (first && v->index == 0)
			vm_mark(vm, CELLVM_MARK_FIRST_RUN);
		first = false;
		ret = vm->hv_ops->vcpu_run(v->hv, &v->exit);
		if (ret == -EINTR || ret == -EAGAIN)
			continue;
		if (ret < 0) {
			struct cellvm_err err = { 0 };

			cellvm_err_set(&err, CELLVM_E_INTERNAL, ret,
				       "cpu%u: running the vCPU failed: %s",
				       v->index, strerror(-ret));
			vm_fail(vm, &err);
			break;
		}
		if (vcpu_handle_exit(v) == VCPU_STOP)
			break;
	}
	return NULL;
}
