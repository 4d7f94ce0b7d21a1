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
		atomic_fetch_add_explicit(&v->exits_mmio, 1,
					  memory_order_relaxed);
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
		atomic_fetch_add_explicit(&v->exits_kick, 1,
					  memory_order_relaxed);
		v->failures = 0;
		return VCPU_CONTINUE;
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

/*
 * The vCPU's IRQ input under a user irqchip. A hypervisor may lose a line
 * set from another thread while the vCPU's own thread enters a run (KVM in
 * Linux 6.1 does: docs/irqchip.md), and a GIC model that believes the line
 * is set never sends it again (issue 12). So only the vCPU's own thread
 * sets its line (hv.h, set_vcpu_irq): others record the level and kick it.
 * Without a user irqchip nobody records a level and this costs one atomic
 * load per run.
 *
 * No kick is lost: the level is stored before the kick; the kick makes the
 * current run return or, outside a run, the next one return at once
 * (hv.h, vcpu_kick), and the thread applies the level before every run.
 */
void vcpu_set_irq(struct cellvm_vcpu *v, bool level)
{
	atomic_store(&v->irq_want, level);
	pthread_mutex_lock(&v->kick_lock);
	if (v->running && !pthread_equal(v->self, pthread_self()))
		v->vm->hv_ops->vcpu_kick(v->hv);
	pthread_mutex_unlock(&v->kick_lock);
}

/* vCPU thread, before each run: give the backend the wanted level. */
static void vcpu_apply_irq(struct cellvm_vcpu *v)
{
	struct cellvm_vm *vm = v->vm;
	bool want = atomic_load(&v->irq_want);

	if (want == v->irq_set)
		return;
	if (vm->hv_ops->set_vcpu_irq(v->hv, want)) {
		/* Left unset, so the next run retries. */
		cellvm_log_ratelimited(&vm->log, &v->rl, CELLVM_LOG_WARN,
				       "vcpu", "cpu%u: cannot set the IRQ line",
				       v->index);
		return;
	}
	v->irq_set = want;
}

static void vcpu_set_running(struct cellvm_vcpu *v, bool running)
{
	pthread_mutex_lock(&v->kick_lock);
	v->self = pthread_self();
	v->running = running;
	pthread_mutex_unlock(&v->kick_lock);
}

void *vcpu_thread(void *arg)
{
	struct cellvm_vcpu *v = arg;
	struct cellvm_vm *vm = v->vm;
	bool first = true;

	/* The vCPU was set up by the creating thread: restrict this one
	 * before its first exit (and before anyone may signal it). */
	if (vm_thread_enter(vm, CELLVM_THREAD_VCPU))
		return NULL;
	vcpu_set_running(v, true);
	while (atomic_load(&vm->stop) == CELLVM_STOP_NONE) {
		int ret;

		if (first && v->index == 0)
			vm_mark(vm, CELLVM_MARK_FIRST_RUN);
		first = false;
		if (atomic_load_explicit(&vm->pause_want, memory_order_acquire))
			vm_pause_point(vm);
		if (atomic_load(&vm->stop) != CELLVM_STOP_NONE)
			break;
		vcpu_apply_irq(v);
		ret = vm->hv_ops->vcpu_run(v->hv, &v->exit);
		atomic_fetch_add_explicit(&v->exits, 1, memory_order_relaxed);
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
	vcpu_set_running(v, false);
	return NULL;
}
