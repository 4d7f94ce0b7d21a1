// SPDX-License-Identifier: MIT
/*
 * The KVM backend (Linux KVM on arm64): the only file that includes
 * <linux/kvm.h>. Everything it returns is a normalized struct cellvm_exit.
 *
 * Kicking a vCPU out of KVM_RUN: set kvm_run.immediate_exit, then signal
 * the vCPU's thread (an empty handler, no SA_RESTART). A kick that lands
 * while the thread is outside KVM_RUN leaves immediate_exit set, so the
 * next KVM_RUN returns at once; nothing is lost (Documentation/virt/kvm/
 * api.rst, "immediate_exit").
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cellvm/arm64.h"
#include "cellvm/hv.h"

struct cellvm_hv {
	int kvm_fd;
	int vm_fd;
	int vgic_fd;
	size_t run_size;
	bool user_irq; /* no in-kernel irqchip */
	struct kvm_vcpu_init init;
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
};

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

static int kvm_vm_create(struct cellvm_hv **out, struct cellvm_err *err)
{
	struct cellvm_hv *hv = calloc(1, sizeof(*hv));
	struct kvm_enable_cap cap = { .cap = KVM_CAP_ARM_NISV_TO_USER };
	int ret;

	if (!hv)
		return cellvm_err_set(err, CELLVM_E_INTERNAL, ENOMEM,
				      "kvm: out of memory");
	hv->vm_fd = hv->vgic_fd = -1;
	hv->user_irq = true;
	hv->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (hv->kvm_fd < 0) {
		ret = cellvm_err_set(err, CELLVM_E_HOST, errno,
				     "cannot open /dev/kvm: %s",
				     strerror(errno));
		goto fail;
	}
	if (ioctl(hv->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		ret = cellvm_err_set(err, CELLVM_E_HOST, ENOTSUP,
				     "/dev/kvm: unsupported KVM API version");
		goto fail;
	}
	hv->vm_fd = ioctl(hv->kvm_fd, KVM_CREATE_VM, 0);
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
	if (ioctl(hv->vm_fd, KVM_ARM_PREFERRED_TARGET, &hv->init) < 0) {
		ret = cellvm_err_set(err, CELLVM_E_HOST, errno,
				     "KVM_ARM_PREFERRED_TARGET: %s",
				     strerror(errno));
		goto fail;
	}
	/* Aborts KVM cannot decode come to us instead of failing KVM_RUN. */
	if (ioctl(hv->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_NISV_TO_USER) > 0)
		ioctl(hv->vm_fd, KVM_ENABLE_CAP, &cap);
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

static void kvm_vm_destroy(struct cellvm_hv *hv)
{
	if (!hv)
		return;
	if (hv->vgic_fd >= 0)
		close(hv->vgic_fd);
	close(hv->vm_fd);
	close(hv->kvm_fd);
	free(hv);
}

static int kvm_max_vcpus(struct cellvm_hv *hv)
{
	int n = ioctl(hv->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);

	if (n <= 0)
		n = ioctl(hv->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	return n > 0 ? n : 4;
}

static int kvm_map_mem(struct cellvm_hv *hv, unsigned slot, uint64_t gpa,
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

static int kvm_vcpu_create(struct cellvm_hv *hv, unsigned index,
			   bool powered_off, struct cellvm_hv_vcpu **out,
			   struct cellvm_err *err)
{
	struct cellvm_hv_vcpu *v = calloc(1, sizeof(*v));
	struct kvm_vcpu_init init = hv->init;
	int ret;

	if (!v)
		return cellvm_err_set(err, CELLVM_E_INTERNAL, ENOMEM,
				      "kvm: out of memory");
	v->hv = hv;
	v->index = index;
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
	/* PSCI 0.2+ in the kernel; secondaries start off (booting.rst). */
	init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
	if (powered_off)
		init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
	if (ioctl(v->fd, KVM_ARM_VCPU_INIT, &init) < 0) {
		ret = cellvm_err_set(err, CELLVM_E_HOST, errno,
				     "KVM_ARM_VCPU_INIT %u: %s", index,
				     strerror(errno));
		munmap(v->run, hv->run_size);
		close(v->fd);
		free(v);
		return ret;
	}
	*out = v;
	return 0;
}

static void kvm_vcpu_destroy(struct cellvm_hv_vcpu *v)
{
	if (!v)
		return;
	munmap(v->run, v->hv->run_size);
	close(v->fd);
	free(v);
}

static int vgic_set_addr(int fd, uint64_t type, uint64_t addr)
{
	struct kvm_device_attr a = {
		.group = KVM_DEV_ARM_VGIC_GRP_ADDR,
		.attr = type,
		.addr = (uintptr_t)&addr,
	};

	return ioctl(fd, KVM_SET_DEVICE_ATTR, &a) ? -errno : 0;
}

static int kvm_irqchip_create(struct cellvm_hv *hv,
			      const struct cellvm_hv_irqchip_desc *desc,
			      struct cellvm_err *err)
{
	struct kvm_create_device cd = { 0 };
	uint32_t nr = desc->nr_irqs;
	struct kvm_device_attr nr_attr = {
		.group = KVM_DEV_ARM_VGIC_GRP_NR_IRQS,
		.addr = (uintptr_t)&nr,
	};
	struct kvm_device_attr init = {
		.group = KVM_DEV_ARM_VGIC_GRP_CTRL,
		.attr = KVM_DEV_ARM_VGIC_CTRL_INIT,
	};
	int ret;

	if (desc->type == CELLVM_HV_IRQCHIP_NONE) {
		if (ioctl(hv->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_USER_IRQ) <= 0)
			return cellvm_err_set(err, CELLVM_E_HOST, ENODEV,
					      "KVM lacks KVM_CAP_ARM_USER_IRQ: --irqchip=user unavailable");
		hv->user_irq = true;
		return 0;
	}
	cd.type = desc->type == CELLVM_HV_IRQCHIP_GICV3 ? KVM_DEV_TYPE_ARM_VGIC_V3
							 : KVM_DEV_TYPE_ARM_VGIC_V2;
	if (ioctl(hv->vm_fd, KVM_CREATE_DEVICE, &cd) < 0)
		return -ENODEV; /* this GIC version is not offered */
	hv->vgic_fd = (int)cd.fd;
	if (desc->type == CELLVM_HV_IRQCHIP_GICV3) {
		ret = vgic_set_addr(hv->vgic_fd, KVM_VGIC_V3_ADDR_TYPE_DIST,
				    desc->dist_base);
		if (!ret)
			ret = vgic_set_addr(hv->vgic_fd,
					    KVM_VGIC_V3_ADDR_TYPE_REDIST,
					    desc->redist_base);
	} else {
		ret = vgic_set_addr(hv->vgic_fd, KVM_VGIC_V2_ADDR_TYPE_DIST,
				    desc->dist_base);
		if (!ret)
			ret = vgic_set_addr(hv->vgic_fd,
					    KVM_VGIC_V2_ADDR_TYPE_CPU,
					    desc->cpu_base);
	}
	if (!ret && ioctl(hv->vgic_fd, KVM_SET_DEVICE_ATTR, &nr_attr))
		ret = -errno;
	if (!ret && ioctl(hv->vgic_fd, KVM_SET_DEVICE_ATTR, &init))
		ret = -errno;
	if (ret) {
		close(hv->vgic_fd);
		hv->vgic_fd = -1;
		return cellvm_err_set(err, CELLVM_E_HOST, ret,
				      "in-kernel GICv%d setup: %s",
				      desc->type == CELLVM_HV_IRQCHIP_GICV3 ? 3 : 2,
				      strerror(-ret));
	}
	hv->user_irq = false;
	return 0;
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
	e->dev_irq_level = (uint32_t)run->s.regs.device_irq_level;
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
	case KVM_EXIT_ARM_NISV:
		e->reason = CELLVM_EXIT_UNDECODED_ABORT;
		e->abort.addr = run->arm_nisv.fault_ipa;
		e->abort.info = run->arm_nisv.esr_iss;
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

static int kvm_vcpu_run(struct cellvm_hv_vcpu *v, struct cellvm_exit *exit)
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
			exit->reason = CELLVM_EXIT_KICK;
			exit->dev_irq_level =
				(uint32_t)run->s.regs.device_irq_level;
			return 0;
		}
		return -e;
	}
	kvm_decode_exit(v, exit);
	return 0;
}

static void kvm_vcpu_kick(struct cellvm_hv_vcpu *v)
{
	v->run->immediate_exit = 1;
	atomic_store(&v->kick_pending, true);
	if (atomic_load(&v->thread_known))
		pthread_kill(v->thread, kvm_kick_signal());
}

#define CORE_REG(x)                                                         \
	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |              \
	 (offsetof(struct kvm_regs, x) / sizeof(uint32_t)))
#define SYS_REG(op0, op1, crn, crm, op2)                                    \
	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM64_SYSREG |          \
	 ((uint64_t)(op0) << KVM_REG_ARM64_SYSREG_OP0_SHIFT) |              \
	 ((uint64_t)(op1) << KVM_REG_ARM64_SYSREG_OP1_SHIFT) |              \
	 ((uint64_t)(crn) << KVM_REG_ARM64_SYSREG_CRN_SHIFT) |              \
	 ((uint64_t)(crm) << KVM_REG_ARM64_SYSREG_CRM_SHIFT) |              \
	 ((uint64_t)(op2) << KVM_REG_ARM64_SYSREG_OP2_SHIFT))

/* cellvm's arch register ids to KVM one-reg ids. */
static int kvm_reg_id(uint64_t id, uint64_t *kid)
{
	if (id <= 30) {
		*kid = CORE_REG(regs.regs[0]) + id * 2;
		return 0;
	}
	switch (id) {
	case CELLVM_ARM64_REG_SP:
		*kid = CORE_REG(regs.sp);
		return 0;
	case CELLVM_ARM64_REG_PC:
		*kid = CORE_REG(regs.pc);
		return 0;
	case CELLVM_ARM64_REG_PSTATE:
		*kid = CORE_REG(regs.pstate);
		return 0;
	case CELLVM_ARM64_REG_SP_EL1:
		*kid = CORE_REG(sp_el1);
		return 0;
	case CELLVM_ARM64_REG_ELR_EL1:
		*kid = CORE_REG(elr_el1);
		return 0;
	case CELLVM_ARM64_REG_SPSR_EL1:
		*kid = CORE_REG(spsr[KVM_SPSR_EL1]);
		return 0;
	case CELLVM_ARM64_REG_MPIDR: /* MPIDR_EL1: op0 3, op1 0, c0, c0, 5 */
		*kid = SYS_REG(3, 0, 0, 0, 5);
		return 0;
	case CELLVM_ARM64_REG_ESR_EL1: /* ESR_EL1: 3, 0, c5, c2, 0 */
		*kid = SYS_REG(3, 0, 5, 2, 0);
		return 0;
	case CELLVM_ARM64_REG_FAR_EL1: /* FAR_EL1: 3, 0, c6, c0, 0 */
		*kid = SYS_REG(3, 0, 6, 0, 0);
		return 0;
	default:
		return -EINVAL;
	}
}

static int kvm_get_reg(struct cellvm_hv_vcpu *v, uint64_t id, uint64_t *val)
{
	struct kvm_one_reg r;
	uint64_t kid;

	if (kvm_reg_id(id, &kid))
		return -EINVAL;
	r.id = kid;
	r.addr = (uintptr_t)val;
	return ioctl(v->fd, KVM_GET_ONE_REG, &r) ? -errno : 0;
}

static int kvm_set_reg(struct cellvm_hv_vcpu *v, uint64_t id, uint64_t val)
{
	struct kvm_one_reg r;
	uint64_t kid;

	if (kvm_reg_id(id, &kid))
		return -EINVAL;
	r.id = kid;
	r.addr = (uintptr_t)&val;
	return ioctl(v->fd, KVM_SET_ONE_REG, &r) ? -errno : 0;
}

static int kvm_set_irq_line(struct cellvm_hv *hv, unsigned line, bool level)
{
	/* KVM_IRQ_LINE on arm64: type in bits 27:24, SPI INTID in 15:0. */
	struct kvm_irq_level irq = {
		.irq = (KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) |
		       (line & KVM_ARM_IRQ_NUM_MASK),
		.level = level,
	};

	return ioctl(hv->vm_fd, KVM_IRQ_LINE, &irq) ? -errno : 0;
}

static int kvm_set_vcpu_irq(struct cellvm_hv_vcpu *v, bool level)
{
	struct kvm_irq_level irq = {
		.irq = (KVM_ARM_IRQ_TYPE_CPU << KVM_ARM_IRQ_TYPE_SHIFT) |
		       ((v->index & KVM_ARM_IRQ_VCPU_MASK)
			<< KVM_ARM_IRQ_VCPU_SHIFT) |
		       KVM_ARM_IRQ_CPU_IRQ,
		.level = level,
	};

	return ioctl(v->hv->vm_fd, KVM_IRQ_LINE, &irq) ? -errno : 0;
}

static int kvm_inject_abort(struct cellvm_hv_vcpu *v, uint64_t addr)
{
	struct kvm_vcpu_events ev;

	/* api.rst KVM_SET_VCPU_EVENTS: ext_dabt_pending after an MMIO or
	 * NISV exit makes KVM inject an external data abort. */
	memset(&ev, 0, sizeof(ev));
	if (ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return -errno;
	ev.exception.ext_dabt_pending = 1;
	return ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev) ? -errno : 0;
}

static int kvm_ioeventfd(struct cellvm_hv *hv, uint64_t addr, unsigned len,
			 int fd)
{
	struct kvm_ioeventfd io = {
		.addr = addr,
		.len = len,
		.fd = fd,
	};

	return ioctl(hv->vm_fd, KVM_IOEVENTFD, &io) ? -errno : 0;
}

static int kvm_irqfd(struct cellvm_hv *hv, unsigned line, int fd)
{
	/* With an in-kernel vGIC, the irqfd GSI is the SPI number. */
	struct kvm_irqfd irqfd = {
		.fd = (uint32_t)fd,
		.gsi = line - 32,
	};

	if (hv->user_irq || line < 32)
		return -EOPNOTSUPP;
	return ioctl(hv->vm_fd, KVM_IRQFD, &irqfd) ? -errno : 0;
}

const struct cellvm_hv_ops cellvm_hv_kvm_ops = {
	.name = "kvm",
	.vm_create = kvm_vm_create,
	.vm_destroy = kvm_vm_destroy,
	.max_vcpus = kvm_max_vcpus,
	.map_mem = kvm_map_mem,
	.vcpu_create = kvm_vcpu_create,
	.vcpu_destroy = kvm_vcpu_destroy,
	.irqchip_create = kvm_irqchip_create,
	.vcpu_run = kvm_vcpu_run,
	.vcpu_kick = kvm_vcpu_kick,
	.get_reg = kvm_get_reg,
	.set_reg = kvm_set_reg,
	.set_irq_line = kvm_set_irq_line,
	.set_vcpu_irq = kvm_set_vcpu_irq,
	.inject_abort = kvm_inject_abort,
	.ioeventfd = kvm_ioeventfd,
	.irqfd = kvm_irqfd,
};
