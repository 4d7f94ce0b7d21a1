// SPDX-License-Identifier: MIT
/*
 * The VM object: creation in ordered stages, the run loop, teardown.
 *
 * Guest RAM is private anonymous memory, 2 MiB aligned and advised for
 * transparent huge pages: under nested virtualization every stage-2 fault
 * is expensive, and huge pages cut their number by 512 (measured: a guest
 * boot went from ~12.5 s on 4 KiB shmem pages to ~4 s).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <time.h>

#include "core/evloop.h"
#include "core/thread.h"
#include "core/vm.h"

#define HUGE_2M (2ULL << 20)

void cellvm_config_init(struct cellvm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mem_size = 256ULL << 20;
	cfg->ncpus = 1;
	cfg->kernel.file_offset = -1;
	cfg->initrd.file_offset = -1;
	cfg->dtb.file_offset = -1;
	cfg->irqchip = CELLVM_IRQCHIP_AUTO;
	cfg->console = CELLVM_CONSOLE_PL011;
	cfg->console_in = -1;
	cfg->console_out = -1;
	cfg->hv_fd = -1;
	cfg->stop_fd = -1;
	cfg->poweroff_fd = -1;
	cfg->control_fd = -1;
	cfg->zero_copy = true;
	cfg->log.level = CELLVM_LOG_WARN;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void vm_mark(struct cellvm_vm *vm, enum cellvm_boot_mark m)
{
	uint64_t zero = 0;

	if (m < CELLVM_MARK_NR && atomic_load(&vm->mark[m]) == 0)
		atomic_compare_exchange_strong(&vm->mark[m], &zero, now_ns());
}

uint64_t cellvm_vm_mark(const struct cellvm_vm *vm, enum cellvm_boot_mark m)
{
	if (m >= CELLVM_MARK_NR)
		return 0;
	return atomic_load(&((struct cellvm_vm *)vm)->mark[m]);
}

void cellvm_vm_request_stop(struct cellvm_vm *vm, enum cellvm_stop why)
{
	int none = CELLVM_STOP_NONE;

	atomic_compare_exchange_strong(&vm->stop, &none, (int)why);
	evloop_wake(vm->loop);
}

void vm_fail(struct cellvm_vm *vm, struct cellvm_err *err)
{
	pthread_mutex_lock(&vm->err_lock);
	if (vm->run_err.cat == CELLVM_E_NONE)
		vm->run_err = *err;
	pthread_mutex_unlock(&vm->err_lock);
	cellvm_vm_request_stop(vm, CELLVM_STOP_ERROR);
}

int vm_thread_enter(void *opaque, enum cellvm_thread_kind kind)
{
	struct cellvm_vm *vm = opaque;
	struct cellvm_err err = { 0 };
	int ret;

	if (!vm->cfg.thread_enter)
		return 0;
	ret = vm->cfg.thread_enter(vm->cfg.thread_ctx, kind);
	if (ret) {
		cellvm_err_set(&err, CELLVM_E_HOST, -ret,
			       "cannot restrict a thread (kind %d): %s",
			       (int)kind, strerror(-ret));
		vm_fail(vm, &err);
	}
	return ret;
}

int vm_own_device(struct cellvm_vm *vm, void *opaque,
		  void (*stop)(void *opaque), void (*destroy)(void *opaque))
{
	if (vm->nr_devs >= CELLVM_MAX_DEVICES)
		return -ENOSPC;
	vm->dev[vm->nr_devs++] = (struct cellvm_vm_device){ opaque, stop,
							    destroy, NULL, NULL };
	return 0;
}

void vm_device_set_replace(struct cellvm_vm *vm,
			   int (*replace)(void *opaque, const char *path,
					  struct cellvm_err *err))
{
	if (vm->nr_devs > 0)
		vm->dev[vm->nr_devs - 1].replace = replace;
}

void vm_device_set_start(struct cellvm_vm *vm,
			 int (*start)(void *opaque, struct cellvm_err *err))
{
	if (vm->nr_devs > 0)
		vm->dev[vm->nr_devs - 1].start = start;
}

/* The config's board, else the backend's. */
static const struct cellvm_board_ops *
vm_board(const struct cellvm_config *cfg)
{
	return cfg->board ? cfg->board : cfg->hv->board;
}

/* Has the caller asked to stop (its stop_fd readable)? */
static bool vm_stop_pending(const struct cellvm_config *cfg)
{
	struct pollfd p = { .fd = cfg->stop_fd, .events = POLLIN };

	return cfg->stop_fd >= 0 && poll(&p, 1, 0) > 0 &&
	       (p.revents & (POLLIN | POLLHUP));
}

/* A stop request outranks whatever error it caused (an interrupted call). */
static int vm_create_stopped(struct cellvm_err *err)
{
	if (err) {
		err->cat = CELLVM_E_STOPPED;
		err->field = NULL;
		snprintf(err->msg, sizeof(err->msg),
			 "stopped by request while starting");
	}
	return -ECANCELED;
}

static void vm_on_stop_fd(void *opaque, uint32_t events)
{
	cellvm_vm_request_stop(opaque, CELLVM_STOP_QUIT);
}

int cellvm_vm_request_poweroff(struct cellvm_vm *vm, struct cellvm_err *err)
{
	if (!vm)
		return cellvm_err_set(err, CELLVM_E_USAGE, EINVAL, "no VM");
	if (!vm->board->power_button)
		return cellvm_err_set(err, CELLVM_E_USAGE, EOPNOTSUPP,
				      "the %s board has no power button",
				      vm->board->name);
	return vm->board->power_button(vm, err);
}

/* The caller asks for a power-off: press the button, once per VM (the fd
 * stays readable; nobody reads it). */
static void vm_on_poweroff_fd(void *opaque, uint32_t events)
{
	struct cellvm_vm *vm = opaque;
	struct cellvm_err err = { 0 };

	cellvm_evloop_del(vm->loop, vm->cfg.poweroff_fd);
	if (cellvm_vm_request_poweroff(vm, &err))
		cellvm_log(&vm->log, CELLVM_LOG_WARN, "vm",
			   "power-off request: %s", err.msg);
}

static void vm_on_control_fd(void *opaque, uint32_t events)
{
	struct cellvm_vm *vm = opaque;

	vm->cfg.control_ready(vm->cfg.control_ctx);
}

/* The caller's control fd (an API server) on this VM's event loop. */
static int vm_add_control_fd(struct cellvm_vm *vm, struct cellvm_err *err)
{
	int ret;

	if (vm->cfg.control_fd < 0)
		return 0;
	if (!vm->cfg.control_ready)
		return cellvm_err_set_field(err, "control_ready", CELLVM_E_USAGE,
					    EINVAL, "control_fd %d without a control_ready handler",
					    vm->cfg.control_fd);
	ret = cellvm_evloop_add(vm->loop, vm->cfg.control_fd, EPOLLIN,
				vm_on_control_fd, vm);
	if (ret)
		cellvm_err_set(err, CELLVM_E_INTERNAL, ret, "control fd %d: %s",
			       vm->cfg.control_fd, strerror(-ret));
	return ret;
}

static int vm_check_config(const struct cellvm_config *cfg,
			   struct cellvm_err *err)
{
	if (!cfg->hv)
		return cellvm_err_set(err, CELLVM_E_USAGE, EINVAL,
				      "no hypervisor backend given");
	if (!vm_board(cfg))
		return cellvm_err_set(err, CELLVM_E_USAGE, EINVAL,
				      "no board given, and backend %s names none",
				      cfg->hv->name);
	if (cfg->ncpus < 1 || cfg->ncpus > CELLVM_MAX_VCPUS)
		return cellvm_err_set_field(err, "ncpus", CELLVM_E_USAGE, EINVAL,
					    "%u vCPUs: must be 1 to %u",
					    cfg->ncpus, CELLVM_MAX_VCPUS);
	if (cfg->mem_size == 0 || cfg->mem_size % 4096)
		return cellvm_err_set_field(err, "mem_size", CELLVM_E_USAGE,
					    EINVAL,
					    "%" PRIu64 " bytes of RAM: must be a non-zero multiple of 4 KiB",
					    cfg->mem_size);
	/* Checked before any size arithmetic, which could otherwise wrap. */
	if (vm_board(cfg)->ram_max && cfg->mem_size > vm_board(cfg)->ram_max)
		return cellvm_err_set_field(err, "mem_size", CELLVM_E_USAGE,
					    EINVAL,
					    "%" PRIu64 " bytes of RAM: more than the %s board's limit of %" PRIu64 " bytes (%" PRIu64 " GiB)",
					    cfg->mem_size, vm_board(cfg)->name,
					    vm_board(cfg)->ram_max,
					    vm_board(cfg)->ram_max >> 30);
	return 0;
}

/* Anonymous private RAM, 2 MiB aligned, huge-page advised. */
static int vm_alloc_ram(struct cellvm_vm *vm, struct cellvm_err *err)
{
	uint64_t size = vm->cfg.mem_size;
	size_t len = size + HUGE_2M;
	uint8_t *p, *aligned;
	int ret;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return cellvm_err_set(err, CELLVM_E_HOST, errno,
				      "cannot reserve %" PRIu64
				      " bytes of guest RAM: %s",
				      size, strerror(errno));
	aligned = (uint8_t *)(((uintptr_t)p + HUGE_2M - 1) & ~(HUGE_2M - 1));
	/* Give back the unaligned head and tail. */
	if (aligned > p)
		munmap(p, (size_t)(aligned - p));
	if (aligned + size < p + len)
		munmap(aligned + size, (size_t)(p + len - (aligned + size)));
	madvise(aligned, size, MADV_HUGEPAGE);
	vm->ram = aligned;
	vm->ram_size = size;
	ret = cellvm_mem_add(&vm->mem, vm->board->ram_base, size, aligned);
	if (ret)
		return cellvm_err_set(err, CELLVM_E_INTERNAL, ret,
				      "guest RAM: %s", strerror(-ret));
	return vm->hv_ops->map_mem(vm->hv, 0, vm->board->ram_base, aligned,
				   size, err);
}

/* The CPU features asked for, or with cpu_features_host those offered. */
static int vm_cpu_features(struct cellvm_vm *vm, struct cellvm_err *err)
{
	unsigned want = vm->cfg.cpu_features, have = 0;
	bool host = vm->cfg.cpu_features_host;
	int ret;

	if (!want)
		return 0;
	if (!vm->hv_ops->cpu_features)
		return host ? 0
			    : cellvm_err_set_field(err, "cpu_features",
						   CELLVM_E_HOST, EOPNOTSUPP,
						   "the %s backend offers no optional CPU features",
						   vm->hv_ops->name);
	ret = vm->hv_ops->cpu_features(vm->hv, want, &have,
				       host ? NULL : err);
	if (ret && !host) {
		/* The backend names what its host lacks; we name the field. */
		if (err && !err->field)
			err->field = "cpu_features";
		return ret;
	}
	vm->cpu_features = have & want;
	return 0;
}

static int vm_create_vcpus(struct cellvm_vm *vm, struct cellvm_err *err)
{
	int max = vm->hv_ops->max_vcpus(vm->hv);
	unsigned i;
	int ret;

	if (max > 0 && vm->cfg.ncpus > (unsigned)max)
		return cellvm_err_set_field(err, "ncpus", CELLVM_E_HOST, EINVAL,
					    "%u vCPUs: the hypervisor allows at most %d",
					    vm->cfg.ncpus, max);
	ret = vm_cpu_features(vm, err);
	if (ret)
		return ret;
	for (i = 0; i < vm->cfg.ncpus; i++) {
		struct cellvm_vcpu *v = &vm->vcpu[i];

		v->vm = vm;
		v->index = i;
		/* Secondaries wait powered off for PSCI CPU_ON. */
		ret = vm->hv_ops->vcpu_create(vm->hv, i, i > 0,
					      vm->cpu_features, &v->hv, err);
		if (ret)
			return ret;
		ret = pthread_mutex_init(&v->kick_lock, NULL);
		if (ret) {
			if (vm->hv_ops->vcpu_destroy)
				vm->hv_ops->vcpu_destroy(v->hv);
			return cellvm_err_set(err, CELLVM_E_INTERNAL, ret,
					      "vCPU %u: %s", i, strerror(ret));
		}
		atomic_init(&v->irq_want, false);
		vm->ncpus++;
	}
	return 0;
}

/* The creation stages, in order; a stop request is honoured between any
 * two of them. */
static int vm_create_stage(struct cellvm_vm *vm, unsigned stage,
			   struct cellvm_err *err)
{
	switch (stage) {
	case 0:
		return vm->hv_ops->vm_create(vm->cfg.hv_fd, &vm->hv, err);
	case 1:
		return vm_alloc_ram(vm, err);
	case 2:
		return vm_create_vcpus(vm, err);
	case 3:
		return console_create(vm, vm->cfg.console_in,
				      vm->cfg.console_out, &vm->console, err);
	case 4:
		return vm->board->setup(vm, err);
	case 5:
		vm_mark(vm, CELLVM_MARK_VM_CREATED);
		return vm->board->load(vm, err);
	case 6:
		vm_mark(vm, CELLVM_MARK_IMAGES_LOADED);
		return vm->board->vcpu_boot(vm, &vm->vcpu[0], err);
	default:
		return 1; /* done */
	}
}

int cellvm_vm_create(const struct cellvm_config *cfg, struct cellvm_vm **out,
		     struct cellvm_err *err)
{
	struct cellvm_vm *vm;
	unsigned stage;
	int ret;

	ret = vm_check_config(cfg, err);
	if (ret)
		return ret;
	if (vm_stop_pending(cfg))
		return vm_create_stopped(err);
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return cellvm_err_set(err, CELLVM_E_INTERNAL, ENOMEM,
				      "out of memory");
	vm->cfg = *cfg;
	vm->log = cfg->log;
	vm->hv_ops = cfg->hv;
	vm->board = vm_board(cfg);
	pthread_mutex_init(&vm->err_lock, NULL);
	atomic_init(&vm->stop, CELLVM_STOP_NONE);
	atomic_init(&vm->rtc_offset_ns, cfg->rtc_offset_ns);
	pthread_mutex_init(&vm->pause_lock, NULL);
	pthread_cond_init(&vm->pause_cond, NULL);
	atomic_init(&vm->pause_want, false);
	vm->created_ns = now_ns();

	ret = evloop_create(&vm->loop, err);
	if (ret == 0 && cfg->stop_fd >= 0) {
		ret = cellvm_evloop_add(vm->loop, cfg->stop_fd, EPOLLIN,
					vm_on_stop_fd, vm);
		if (ret)
			cellvm_err_set(err, CELLVM_E_INTERNAL, ret,
				       "stop request fd %d: %s", cfg->stop_fd,
				       strerror(-ret));
	}
	if (ret == 0 && cfg->poweroff_fd >= 0) {
		ret = cellvm_evloop_add(vm->loop, cfg->poweroff_fd, EPOLLIN,
					vm_on_poweroff_fd, vm);
		if (ret)
			cellvm_err_set(err, CELLVM_E_INTERNAL, ret,
				       "power-off request fd %d: %s",
				       cfg->poweroff_fd, strerror(-ret));
	}
	if (ret == 0)
		ret = vm_add_control_fd(vm, err);
	for (stage = 0; ret == 0; stage++) {
		ret = vm_create_stage(vm, stage, err);
		if (ret == 1) {
			*out = vm;
			return 0;
		}
		if (vm_stop_pending(cfg))
			ret = vm_create_stopped(err);
	}
	if (vm_stop_pending(cfg))
		ret = vm_create_stopped(err);
	cellvm_vm_destroy(vm);
	return ret;
}

static void vm_stop_vcpus(struct cellvm_vm *vm)
{
	unsigned i;

	vm_pause_release(vm);
	for (i = 0; i < vm->ncpus; i++)
		if (vm->vcpu[i].thread_started)
			vm->hv_ops->vcpu_kick(vm->vcpu[i].hv);
	for (i = 0; i < vm->ncpus; i++) {
		if (!vm->vcpu[i].thread_started)
			continue;
		pthread_join(vm->vcpu[i].thread, NULL);
		vm->vcpu[i].thread_started = false;
	}
}

int cellvm_vm_run(struct cellvm_vm *vm, enum cellvm_stop *why,
		  struct cellvm_err *err)
{
	unsigned i;
	int ret;

	/*
	 * This thread runs the event loop from here on. Its filter goes in
	 * before the vCPU threads start, so they inherit it and add their
	 * own: a thread's filters only ever narrow what it may do.
	 */
	ret = vm_thread_enter(vm, CELLVM_THREAD_EVLOOP);
	if (ret) {
		if (err)
			*err = vm->run_err;
		*why = CELLVM_STOP_ERROR;
		return ret;
	}
	for (i = 0; i < vm->ncpus; i++) {
		struct cellvm_vcpu *v = &vm->vcpu[i];

		if (cellvm_thread_start(&v->thread, vcpu_thread, v)) {
			cellvm_err_set(err, CELLVM_E_HOST, EAGAIN,
				       "cannot start the thread of vCPU %u", i);
			cellvm_vm_request_stop(vm, CELLVM_STOP_ERROR);
			ret = -EAGAIN;
			break;
		}
		v->thread_started = true;
	}
	if (ret == 0) {
		ret = evloop_run(vm->loop, &vm->stop);
		if (ret) {
			cellvm_err_set(err, CELLVM_E_INTERNAL, ret,
				       "event loop: %s", strerror(-ret));
			cellvm_vm_request_stop(vm, CELLVM_STOP_ERROR);
		}
	}
	/* Whoever set the stop reason also woke us; now halt every vCPU. */
	vm_stop_vcpus(vm);
	*why = (enum cellvm_stop)atomic_load(&vm->stop);
	if (*why == CELLVM_STOP_ERROR && vm->run_err.cat != CELLVM_E_NONE) {
		if (err && err->cat == CELLVM_E_NONE)
			*err = vm->run_err;
		ret = ret ? ret : -EIO;
	}
	return ret;
}

int64_t cellvm_vm_rtc_offset(const struct cellvm_vm *vm)
{
	return atomic_load(&vm->rtc_offset_ns);
}

void cellvm_vm_destroy(struct cellvm_vm *vm)
{
	unsigned i;

	if (!vm)
		return;
	if (vm->loop)
		vm_stop_vcpus(vm);
	for (i = 0; i < vm->nr_devs; i++)
		if (vm->dev[i].stop)
			vm->dev[i].stop(vm->dev[i].opaque);
	if (vm->board && vm->board->teardown)
		vm->board->teardown(vm);
	for (i = vm->nr_devs; i-- > 0;)
		if (vm->dev[i].destroy)
			vm->dev[i].destroy(vm->dev[i].opaque);
	console_destroy(vm->console);
	for (i = 0; i < vm->ncpus; i++) {
		if (vm->hv_ops->vcpu_destroy)
			vm->hv_ops->vcpu_destroy(vm->vcpu[i].hv);
		pthread_mutex_destroy(&vm->vcpu[i].kick_lock);
	}
	if (vm->hv)
		vm->hv_ops->vm_destroy(vm->hv);
	if (vm->ram)
		munmap(vm->ram, vm->ram_size);
	evloop_destroy(vm->loop);
	pthread_mutex_destroy(&vm->err_lock);
	pthread_mutex_destroy(&vm->pause_lock);
	pthread_cond_destroy(&vm->pause_cond);
	free(vm);
}
