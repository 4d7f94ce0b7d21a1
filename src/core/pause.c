// SPDX-License-Identifier: MIT
/*
 * Pause and resume (cellvm_vm_pause/resume), the VM's counters, and a
 * disk's new backing file (cellvm_vm_disk_replace).
 *
 * A pause sets pause_want and kicks every vCPU out of the hypervisor's run
 * call. Each vCPU thread checks pause_want before every run (vcpu.c), so
 * a kicked one counts itself in nr_held and waits on pause_cond: it is out
 * of KVM_RUN with its registers and any completed MMIO access left as the
 * hypervisor has them, so the next run continues exactly where it stopped.
 * Then the device workers are stopped (joined), so no virtqueue is touched
 * while paused. Resume starts the workers again (each looks at every queue
 * once, as after a start) and then releases the vCPUs.
 *
 * The guest's clock: the virtual counter is the host's, so a resumed guest
 * sees the paused time pass at once (timers that expired fire). This is
 * what Firecracker does on arm64 too, and what a guest that was paused by
 * a hypervisor expects of its NTP; stopping the counter would need a
 * counter-offset control the backend table does not have (docs/api.md).
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "core/vm.h"

/* How long a pause waits for every vCPU to come out of its run. */
#define PAUSE_WAIT_NS 1000000000LL

void vm_pause_point(struct cellvm_vm *vm)
{
	pthread_mutex_lock(&vm->pause_lock);
	vm->nr_held++;
	pthread_cond_broadcast(&vm->pause_cond);
	while (atomic_load(&vm->pause_want) &&
	       atomic_load(&vm->stop) == CELLVM_STOP_NONE)
		pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
	vm->nr_held--;
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
}

void vm_pause_release(struct cellvm_vm *vm)
{
	/* The stop reason is set: a held vCPU wakes and leaves its loop. */
	pthread_mutex_lock(&vm->pause_lock);
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
}

/* vCPU threads still in their loop (a stopped one never comes back). */
static unsigned vm_running_vcpus(struct cellvm_vm *vm)
{
	unsigned i, n = 0;

	for (i = 0; i < vm->ncpus; i++) {
		struct cellvm_vcpu *v = &vm->vcpu[i];

		pthread_mutex_lock(&v->kick_lock);
		n += v->running;
		pthread_mutex_unlock(&v->kick_lock);
	}
	return n;
}

static void vm_kick_all(struct cellvm_vm *vm)
{
	unsigned i;

	for (i = 0; i < vm->ncpus; i++) {
		struct cellvm_vcpu *v = &vm->vcpu[i];

		pthread_mutex_lock(&v->kick_lock);
		if (v->running)
			vm->hv_ops->vcpu_kick(v->hv);
		pthread_mutex_unlock(&v->kick_lock);
	}
}

/* Wait until every running vCPU is held; -ETIMEDOUT after PAUSE_WAIT_NS. */
static int vm_wait_held(struct cellvm_vm *vm)
{
	struct timespec dl;
	int ret = 0;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += PAUSE_WAIT_NS / 1000000000LL;
	pthread_mutex_lock(&vm->pause_lock);
	while (vm->nr_held < vm_running_vcpus(vm) && ret == 0 &&
	       atomic_load(&vm->stop) == CELLVM_STOP_NONE) {
		/* A thread between its check and its run: kick again. */
		pthread_mutex_unlock(&vm->pause_lock);
		vm_kick_all(vm);
		pthread_mutex_lock(&vm->pause_lock);
		if (vm->nr_held < vm_running_vcpus(vm))
			ret = pthread_cond_timedwait(&vm->pause_cond,
						     &vm->pause_lock, &dl);
		if (ret == EINTR)
			ret = 0;
	}
	pthread_mutex_unlock(&vm->pause_lock);
	return ret == ETIMEDOUT ? -ETIMEDOUT : 0;
}

static void vm_release(struct cellvm_vm *vm)
{
	pthread_mutex_lock(&vm->pause_lock);
	atomic_store(&vm->pause_want, false);
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
}

/* Start the workers of devices 0..n-1 that a pause stopped. */
static int vm_start_devices(struct cellvm_vm *vm, unsigned n,
			    struct cellvm_err *err)
{
	unsigned i;
	int ret;

	for (i = 0; i < n; i++) {
		struct cellvm_vm_device *d = &vm->dev[i];

		if (!d->start || !d->stop)
			continue;
		ret = d->start(d->opaque, err);
		if (ret)
			return ret;
	}
	return 0;
}

int cellvm_vm_pause(struct cellvm_vm *vm, struct cellvm_err *err)
{
	unsigned i;
	int ret;

	if (atomic_load(&vm->stop) != CELLVM_STOP_NONE)
		return cellvm_err_set(err, CELLVM_E_STOPPED, ESRCH,
				      "the VM is stopping");
	if (vm->paused)
		return cellvm_err_set(err, CELLVM_E_USAGE, EBUSY,
				      "the VM is already paused");
	atomic_store_explicit(&vm->pause_want, true, memory_order_release);
	vm_kick_all(vm);
	ret = vm_wait_held(vm);
	if (ret) {
		vm_release(vm);
		return cellvm_err_set(err, CELLVM_E_INTERNAL, -ret,
				      "a vCPU did not stop within %lld ms",
				      PAUSE_WAIT_NS / 1000000LL);
	}
	for (i = 0; i < vm->nr_devs; i++)
		if (vm->dev[i].start && vm->dev[i].stop)
			vm->dev[i].stop(vm->dev[i].opaque);
	vm->paused = true;
	return 0;
}

int cellvm_vm_resume(struct cellvm_vm *vm, struct cellvm_err *err)
{
	int ret;

	if (!vm->paused)
		return cellvm_err_set(err, CELLVM_E_USAGE, EBUSY,
				      "the VM is not paused");
	ret = vm_start_devices(vm, vm->nr_devs, err);
	if (ret) {
		/* The VM cannot go on without its devices: stop it. */
		vm_fail(vm, err);
		return ret;
	}
	vm->paused = false;
	vm_release(vm);
	return 0;
}

int cellvm_vm_disk_replace(struct cellvm_vm *vm, unsigned index,
			   const char *path, struct cellvm_err *err)
{
	unsigned i, n = 0;

	if (!path || !path[0])
		return cellvm_err_set(err, CELLVM_E_USAGE, EINVAL,
				      "disk %u: no path given", index);
	for (i = 0; i < vm->nr_devs; i++) {
		if (!vm->dev[i].replace)
			continue;
		if (n++ == index)
			return vm->dev[i].replace(vm->dev[i].opaque, path, err);
	}
	return cellvm_err_set(err, CELLVM_E_USAGE, ENODEV,
			      "disk %u: the VM has %u disks", index, n);
}

bool cellvm_vm_paused(const struct cellvm_vm *vm)
{
	return atomic_load(&((struct cellvm_vm *)vm)->pause_want);
}

void cellvm_vm_counters(const struct cellvm_vm *cvm,
			struct cellvm_vcpu_counters *vcpus, unsigned max_vcpus,
			unsigned *nr_vcpus, struct cellvm_dev_counters *devs,
			unsigned max_devs, unsigned *nr_devs,
			struct cellvm_vm_totals *totals)
{
	struct cellvm_vm *vm = (struct cellvm_vm *)cvm;
	struct timespec ts;
	unsigned i;

	for (i = 0; vcpus && i < vm->ncpus && i < max_vcpus; i++) {
		struct cellvm_vcpu *v = &vm->vcpu[i];
		uint64_t all = atomic_load(&v->exits);
		uint64_t mmio = atomic_load(&v->exits_mmio);
		uint64_t kick = atomic_load(&v->exits_kick);

		vcpus[i] = (struct cellvm_vcpu_counters){
			.exits = all, .exits_mmio = mmio, .exits_kick = kick,
			.exits_other = all > mmio + kick ? all - mmio - kick : 0,
		};
	}
	if (nr_vcpus)
		*nr_vcpus = vm->ncpus;
	for (i = 0; devs && i < vm->bus.nr && i < max_devs; i++) {
		struct cellvm_bus_dev *d = &vm->bus.dev[i];

		memset(&devs[i], 0, sizeof(devs[i]));
		if (d->ops->counters)
			d->ops->counters(d->opaque, &devs[i]);
		devs[i].name = d->name;
		devs[i].base = d->base;
		devs[i].reads = atomic_load(&d->reads);
		devs[i].writes = atomic_load(&d->writes);
	}
	if (nr_devs)
		*nr_devs = vm->bus.nr;
	if (!totals)
		return;
	memset(totals, 0, sizeof(*totals));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	totals->uptime_ns = (uint64_t)ts.tv_sec * 1000000000ULL +
			    (uint64_t)ts.tv_nsec - vm->created_ns;
	console_counters(vm->console, &totals->console_in_bytes,
			 &totals->console_out_bytes);
}
