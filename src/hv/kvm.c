// SPDX-License-Identifier: MIT
/*
 * The KVM backend, common part: /dev/kvm, the VM, guest memory, vCPUs,
 * KVM_RUN and kicks, and the exits every architecture has. The arm64
 * part (kvm_arm64.c) adds vCPU init, registers, the vGIC and interrupt
 * lines, and holds the backend table. Everything it returns is a
 * normalized struct cellvm_exit.
 *
 * Kicking a vCPU out of KVM_RUN: set kvm_run.immediate_exit, then signal
 * the vCPU's thread (an empty handler, no SA_RESTART). A kick that lands
 * while the thread is outside KVM_RUN leaves immediate_exit set, so the
 * next KVM_RUN returns at once; nothing is lost (Documentation/virt/kvm/
 * api.rst, "immediate_exit").
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hv/kvm.h"

static int kvm_kick_signal(void)
{
	return SIGRTMIN;
}

static void kvm_kick_handler(int sig)
{
	/* Nothing to do: the signal exists to interrupt KVM_RUN. */
}

static int kvm_install_kick_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kvm_kick_handler;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: KVM_RUN must return -EINTR. */
	return sigaction(kvm_kick_signal(), &sa, NULL) ? -errno : 0;
}

int kvm_vm_create(int dev_fd, struct cellvm_hv **out, struct cellvm_err *err)
{
	struct cellvm_hv *hv = calloc(1, sizeof(*hv));
	int ret;

	if (!hv)
		return cellvm_err_set(err, CELLVM_E_INTERNAL, ENOMEM,
				      "kvm: out of memory");
	hv->vm_fd = hv->irqchip_fd = -1;
	hv->user_irq = true;
	if (dev_fd >= 0)
		hv->kvm_fd = fcntl(dev_fd, F_DUPFD_CLOEXEC, 0);
	else
		hv->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (hv->kvm_fd < 0) {
		ret = cellvm_err_set(err, CELLVM_E_HOST, errno,
				     "cannot %s /dev/kvm: %s",
				     dev_fd >= 0 ? "duplicate" : "open",
				     strerror(errno));
		goto fail;
	}
	if (ioctl(hv->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		ret = cellvm_err_set(err, CELLVM_E_HOST, ENOTSUP,
				     "/dev/kvm: unsupported KVM API version");
		goto fail;
	}
	/* A signal can interrupt the VM's creation (-EINTR, not restarted):
	 * try again; a stop request is the caller's to notice. */
	do
		hv->vm_fd = ioctl(hv->kvm_fd, KVM_CREATE_VM, 0);
	while (hv->vm_fd < 0 && errno == EINTR);
	if (hv->vm_fd < 0) {
		ret = cellvm_err_set(err, CELLVM_E_HOST, errno,
				     "KVM_CREATE_VM: %s (is this an arm64 KVM host?)",
				     strerror(errno));
		goto fail;
	}
	ret = ioctl(hv->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (ret <= 0) {
		ret = cellvm_err_set(err, CELLVM_E_HOST, errno,
				     "KVM_GET_VCPU_MMAP_SIZE: %s",
				     strerror(errno));
		goto fail;
	}
	hv->run_size = (size_t)ret;
	ret = kvm_arch_vm_init(hv, err);
	if (ret)
		goto fail;
	ret = kvm_install_kick_handler();
	if (ret) {
		cellvm_err_set(err, CELLVM_E_HOST, ret, "sigaction: %s",
			       strerror(-ret));
		goto fail;
	}
	*out = hv;
	return 0;
fail:
	if (hv->vm_fd >= 0)
		close(hv->vm_fd);
	if (hv->kvm_fd >= 0)
		close(hv->kvm_fd);
	free(hv);
	return ret;
}

void kvm_vm_destroy(struct cellvm_hv *hv)
{
	if (!hv)
		return;
	if (hv->irqchip_fd >= 0)
		close(hv->irqchip_fd);
	close(hv->vm_fd);
	close(hv->kvm_fd);
	free(hv);
}

int kvm_max_vcpus(struct cellvm_hv *hv)
{
	int n = ioctl(hv->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);

	if (n <= 0)
		n = ioctl(hv->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	return n > 0 ? n : 4;
}

int kvm_map_mem(struct cellvm_hv *hv, unsigned slot, uint64_t gpa,
		       void *host, uint64_t size, struct cellvm_err *err)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)host,
	};

	if (ioctl(hv->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return cellvm_err_set(err, CELLVM_E_HOST, errno,
				      "KVM_SET_USER_MEMORY_REGION (%llu MiB at 0x%llx): %s",
				      (unsigned long long)(size >> 20),
				      (unsigned long long)gpa, strerror(errno));
	return 0;
}

int kvm_vcpu_create(struct cellvm_hv *hv, unsigned index, bool powered_off,
		    unsigned features, struct cellvm_hv_vcpu **out,
		    struct cellvm_err *err)
{
	struct cellvm_hv_vcpu *v = calloc(1, sizeof(*v));
	int ret;

	if (!v)
		return cellvm_err_set(err, CELLVM_E_INTERNAL, ENOMEM,
				      "kvm: out of memory");
	v->hv = hv;
	v->index = index;
	v->features = features;
	v->fd = ioctl(hv->vm_fd, KVM_CREATE_VCPU, index);
	if (v->fd < 0) {
		ret = cellvm_err_set(err, CELLVM_E_HOST, errno,
				     "KVM_CREATE_VCPU %u: %s", index,
				     strerror(errno));
		free(v);
		return ret;
	}
	v->run = mmap(NULL, hv->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->fd, 0);
	if (v->run == MAP_FAILED) {
		ret = cellvm_err_set(err, CELLVM_E_HOST, errno,
				     "mmap of vCPU %u: %s", index,
				     strerror(errno));
		close(v->fd);
		free(v);
		return ret;
	}
	ret = kvm_arch_vcpu_init(v, powered_off, err);
	if (ret) {
		munmap(v->run, hv->run_size);
		close(v->fd);
		free(v);
		return ret;
	}
	*out = v;
	return 0;
}

void kvm_vcpu_destroy(struct cellvm_hv_vcpu *v)
{
	if (!v)
		return;
	munmap(v->run, v->hv->run_size);
	close(v->fd);
	free(v);
}

static void kvm_prepare_thread(struct cellvm_hv_vcpu *v)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, kvm_kick_signal());
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	v->thread = pthread_self();
	atomic_store(&v->thread_known, true);
	v->signals_ready = true;
}

static void kvm_decode_exit(struct cellvm_hv_vcpu *v, struct cellvm_exit *e)
{
	struct kvm_run *run = v->run;

	memset(e, 0, sizeof(*e));
	if (kvm_arch_exit(v, e))
		return;
	switch (run->exit_reason) {
	case KVM_EXIT_MMIO:
		e->reason = CELLVM_EXIT_MMIO;
		e->mmio.addr = run->mmio.phys_addr;
		e->mmio.len = run->mmio.len;
		e->mmio.is_write = run->mmio.is_write;
		if (e->mmio.is_write && run->mmio.len <= 8)
			memcpy(&e->mmio.data, run->mmio.data, run->mmio.len);
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		switch (run->system_event.type) {
		case KVM_SYSTEM_EVENT_SHUTDOWN:
			e->reason = CELLVM_EXIT_SHUTDOWN;
			break;
		case KVM_SYSTEM_EVENT_RESET:
			e->reason = CELLVM_EXIT_RESET;
			break;
		case KVM_SYSTEM_EVENT_CRASH:
			e->reason = CELLVM_EXIT_CRASH;
			break;
		default:
			e->reason = CELLVM_EXIT_KICK;
			break;
		}
		break;
	case KVM_EXIT_INTR:
		e->reason = CELLVM_EXIT_IRQ_LEVELS;
		break;
	case KVM_EXIT_FAIL_ENTRY:
		e->reason = CELLVM_EXIT_FAIL_ENTRY;
		e->unknown.code = run->fail_entry.hardware_entry_failure_reason;
		break;
	default:
		e->reason = CELLVM_EXIT_UNKNOWN;
		e->unknown.code = run->exit_reason;
		break;
	}
}

int kvm_vcpu_run(struct cellvm_hv_vcpu *v, struct cellvm_exit *exit)
{
	struct kvm_run *run = v->run;

	if (!v->signals_ready)
		kvm_prepare_thread(v);
	/* Complete the previous MMIO read (api.rst: KVM_EXIT_MMIO). */
	if (exit->reason == CELLVM_EXIT_MMIO && !exit->mmio.is_write &&
	    run->exit_reason == KVM_EXIT_MMIO && exit->mmio.len <= 8)
		memcpy(run->mmio.data, &exit->mmio.data, exit->mmio.len);
	if (atomic_exchange(&v->kick_pending, false))
		run->immediate_exit = 1;
	if (ioctl(v->fd, KVM_RUN, 0) < 0) {
		int e = errno;

		if (e == EINTR || e == EAGAIN) {
			run->immediate_exit = 0;
			memset(exit, 0, sizeof(*exit));
			kvm_arch_exit(v, exit); /* line levels only */
			exit->reason = CELLVM_EXIT_KICK;
			return 0;
		}
		return -e;
	}
	kvm_decode_exit(v, exit);
	return 0;
}

void kvm_vcpu_kick(struct cellvm_hv_vcpu *v)
{
	v->run->immediate_exit = 1;
	atomic_store(&v->kick_pending, true);
	if (atomic_load(&v->thread_known))
		pthread_kill(v->thread, kvm_kick_signal());
}

/*
 * A register wider than 64 bits (arm64's 128-bit V registers, or the SVE
 * Z registers they are the low half of) is named by cellvm as the 64-bit
 * words of its low 128 bits: read it whole and pick one, or change one in
 * place. A write clears everything above bit 127, as an arm64 write of a
 * V register clears the rest of its Z register (DDI 0487, "SVE" register
 * aliasing). The size is in the one-reg id (api.rst, KVM_GET_ONE_REG).
 */
#define KVM_WIDE_REG_MAX 256 /* KVM_REG_SIZE_U2048 */

static int kvm_wide_reg(struct cellvm_hv_vcpu *v, uint64_t kid, unsigned word,
			uint64_t *val, bool set)
{
	uint64_t q[KVM_WIDE_REG_MAX / 8];
	size_t size = 1u << ((kid & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT);
	struct kvm_one_reg r = { .id = kid, .addr = (uintptr_t)q };

	if (size > sizeof(q) || word > 1)
		return -EINVAL;
	if (ioctl(v->fd, KVM_GET_ONE_REG, &r))
		return -errno;
	if (!set) {
		*val = q[word]; /* little-endian host: q[0] is bits 63:0 */
		return 0;
	}
	q[word] = *val;
	memset(&q[2], 0, size - 2 * sizeof(q[0]));
	return ioctl(v->fd, KVM_SET_ONE_REG, &r) ? -errno : 0;
}

static bool kvm_reg_is_wide(uint64_t kid)
{
	return (kid & KVM_REG_SIZE_MASK) > KVM_REG_SIZE_U64;
}

int kvm_get_reg(struct cellvm_hv_vcpu *v, uint64_t id, uint64_t *val)
{
	struct kvm_one_reg r;
	uint64_t kid;
	unsigned word = 0;

	if (kvm_arch_reg_id(v, id, &kid, &word))
		return -EINVAL;
	if (kvm_reg_is_wide(kid))
		return kvm_wide_reg(v, kid, word, val, false);
	r.id = kid;
	r.addr = (uintptr_t)val;
	return ioctl(v->fd, KVM_GET_ONE_REG, &r) ? -errno : 0;
}

int kvm_set_reg(struct cellvm_hv_vcpu *v, uint64_t id, uint64_t val)
{
	struct kvm_one_reg r;
	uint64_t kid;
	unsigned word = 0;

	if (kvm_arch_reg_id(v, id, &kid, &word))
		return -EINVAL;
	if (kvm_reg_is_wide(kid))
		return kvm_wide_reg(v, kid, word, &val, true);
	r.id = kid;
	r.addr = (uintptr_t)&val;
	return ioctl(v->fd, KVM_SET_ONE_REG, &r) ? -errno : 0;
}

int kvm_ioeventfd(struct cellvm_hv *hv, uint64_t addr, unsigned len,
			 int fd)
{
	struct kvm_ioeventfd io = {
		.addr = addr,
		.len = len,
		.fd = fd,
	};

	return ioctl(hv->vm_fd, KVM_IOEVENTFD, &io) ? -errno : 0;
}
