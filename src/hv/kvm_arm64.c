// SPDX-License-Identifier: MIT
/*
 * The KVM backend, arm64 part (Documentation/virt/kvm/api.rst, the ARM
 * sections): vCPU init with PSCI 0.2 (KVM_ARM_VCPU_INIT), one-reg ids,
 * the in-kernel vGIC (KVM_DEV_TYPE_ARM_VGIC_V3/V2), interrupt lines
 * (KVM_IRQ_LINE's arm64 encoding), the user-irqchip line levels
 * (KVM_CAP_ARM_USER_IRQ), aborts KVM could not decode
 * (KVM_CAP_ARM_NISV_TO_USER) and external abort injection. The backend
 * table is here: one const table per hardware variant.
 *
 * Optional CPU features (api.rst KVM_ARM_VCPU_INIT, KVM_ARM_VCPU_FINALIZE
 * and KVM_REG_ARM64_SVE_VLS; Documentation/virt/kvm/devices/vcpu.rst):
 * each is a feature bit at KVM_ARM_VCPU_INIT. SVE then takes the vector
 * lengths the host allows (KVM_REG_ARM64_SVE_VLS, written back as read)
 * and KVM_ARM_VCPU_FINALIZE before anything else touches the vCPU. The
 * PMU is made ready later, by vcpu_pmu_init: with an in-kernel vGIC its
 * interrupt must be set once the vGIC exists and PMU_V3_INIT needs the
 * vGIC initialized (vcpu.rst 1.2: -ENODEV otherwise).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cellvm/arm64.h"
#include "cellvm/cellvm.h"
#include "hv/kvm.h"

int kvm_arch_vm_init(struct cellvm_hv *hv, struct cellvm_err *err)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_ARM_NISV_TO_USER };

	if (ioctl(hv->vm_fd, KVM_ARM_PREFERRED_TARGET, &hv->init) < 0)
		return cellvm_err_set(err, CELLVM_E_HOST, errno,
				      "KVM_ARM_PREFERRED_TARGET: %s",
				      strerror(errno));
	/* Aborts KVM cannot decode come to us instead of failing KVM_RUN. */
	if (ioctl(hv->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_NISV_TO_USER) > 0)
		ioctl(hv->vm_fd, KVM_ENABLE_CAP, &cap);
	return 0;
}

/* Each optional feature, the capability that offers it and its bits. */
static const struct kvm_cpu_feature {
	unsigned feature; /* CELLVM_CPU_* */
	const char *what;
	long cap[2]; /* both needed; 0: unused */
	const char *cap_name;
	uint32_t init_bits; /* kvm_vcpu_init.features[0] */
} kvm_cpu_features[] = {
	{ CELLVM_CPU_PMU, "a PMU", { KVM_CAP_ARM_PMU_V3, 0 },
	  "KVM_CAP_ARM_PMU_V3", 1u << KVM_ARM_VCPU_PMU_V3 },
	{ CELLVM_CPU_SVE, "SVE", { KVM_CAP_ARM_SVE, 0 }, "KVM_CAP_ARM_SVE",
	  1u << KVM_ARM_VCPU_SVE },
	/* api.rst KVM_ARM_VCPU_INIT: address and generic, both or none. */
	{ CELLVM_CPU_PAUTH, "pointer authentication",
	  { KVM_CAP_ARM_PTRAUTH_ADDRESS, KVM_CAP_ARM_PTRAUTH_GENERIC },
	  "KVM_CAP_ARM_PTRAUTH_ADDRESS/GENERIC",
	  (1u << KVM_ARM_VCPU_PTRAUTH_ADDRESS) |
		  (1u << KVM_ARM_VCPU_PTRAUTH_GENERIC) },
};

#define NR_KVM_CPU_FEATURES \
	(sizeof(kvm_cpu_features) / sizeof(kvm_cpu_features[0]))

static bool kvm_has_cap(struct cellvm_hv *hv, long cap)
{
	return cap == 0 || ioctl(hv->vm_fd, KVM_CHECK_EXTENSION, cap) > 0;
}

static int kvm_cpu_features_offered(struct cellvm_hv *hv, unsigned want,
				    unsigned *have, struct cellvm_err *err)
{
	const struct kvm_cpu_feature *missing = NULL;
	unsigned i;

	*have = 0;
	for (i = 0; i < NR_KVM_CPU_FEATURES; i++) {
		const struct kvm_cpu_feature *f = &kvm_cpu_features[i];

		if (!(want & f->feature))
			continue;
		if (kvm_has_cap(hv, f->cap[0]) && kvm_has_cap(hv, f->cap[1]))
			*have |= f->feature;
		else if (!missing)
			missing = f;
	}
	if (missing)
		return cellvm_err_set(err, CELLVM_E_HOST, EOPNOTSUPP,
				      "KVM lacks %s: cannot give the guest %s",
				      missing->cap_name, missing->what);
	if (want & ~*have)
		return cellvm_err_set(err, CELLVM_E_HOST, EOPNOTSUPP,
				      "kvm: unknown CPU features 0x%x",
				      want & ~*have);
	return 0;
}

static uint32_t kvm_feature_bits(unsigned features)
{
	uint32_t bits = 0;
	unsigned i;

	for (i = 0; i < NR_KVM_CPU_FEATURES; i++)
		if (features & kvm_cpu_features[i].feature)
			bits |= kvm_cpu_features[i].init_bits;
	return bits;
}

/* SVE: keep every vector length the host allows, then finalize (api.rst
 * KVM_REG_ARM64_SVE_VLS, KVM_ARM_VCPU_FINALIZE). */
static int kvm_sve_finalize(struct cellvm_hv_vcpu *v, struct cellvm_err *err)
{
	uint64_t vls[KVM_ARM64_SVE_VLS_WORDS];
	struct kvm_one_reg r = {
		.id = KVM_REG_ARM64_SVE_VLS,
		.addr = (uintptr_t)vls,
	};
	int what = KVM_ARM_VCPU_SVE;
	const char *step = "KVM_GET_ONE_REG(SVE_VLS)";

	if (ioctl(v->fd, KVM_GET_ONE_REG, &r) == 0) {
		step = "KVM_SET_ONE_REG(SVE_VLS)";
		if (ioctl(v->fd, KVM_SET_ONE_REG, &r) == 0) {
			step = "KVM_ARM_VCPU_FINALIZE(SVE)";
			if (ioctl(v->fd, KVM_ARM_VCPU_FINALIZE, &what) == 0)
				return 0;
		}
	}
	return cellvm_err_set(err, CELLVM_E_HOST, errno, "vCPU %u: %s: %s",
			      v->index, step, strerror(errno));
}

int kvm_arch_vcpu_init(struct cellvm_hv_vcpu *v, bool powered_off,
		       struct cellvm_err *err)
{
	struct kvm_vcpu_init init = v->hv->init;

	/* PSCI 0.2+ in the kernel; secondaries start off (booting.rst). */
	init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
	if (powered_off)
		init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
	init.features[0] |= kvm_feature_bits(v->features);
	if (ioctl(v->fd, KVM_ARM_VCPU_INIT, &init) < 0)
		return cellvm_err_set(err, CELLVM_E_HOST, errno,
				      "KVM_ARM_VCPU_INIT %u: %s", v->index,
				      strerror(errno));
	if (v->features & CELLVM_CPU_SVE)
		return kvm_sve_finalize(v, err);
	return 0;
}

static int kvm_pmu_attr(struct cellvm_hv_vcpu *v, uint64_t attr, int *val)
{
	struct kvm_device_attr a = {
		.group = KVM_ARM_VCPU_PMU_V3_CTRL,
		.attr = attr,
		.addr = (uintptr_t)val,
	};

	return ioctl(v->fd, KVM_SET_DEVICE_ATTR, &a) ? -errno : 0;
}

/* vcpu.rst 1.1-1.2: PMU_V3_IRQ only with an in-kernel vGIC (a PPI, the
 * same on every vCPU), then PMU_V3_INIT, which needs the vGIC initialized.
 * Without one, KVM reports the overflow line in device_irq_level. */
static int kvm_vcpu_pmu_init(struct cellvm_hv_vcpu *v, unsigned irq,
			     struct cellvm_err *err)
{
	int intid = (int)irq;
	int ret = 0;

	if (!(v->features & CELLVM_CPU_PMU))
		return cellvm_err_set(err, CELLVM_E_INTERNAL, EINVAL,
				      "vCPU %u has no PMU", v->index);
	if (!v->hv->user_irq)
		ret = kvm_pmu_attr(v, KVM_ARM_VCPU_PMU_V3_IRQ, &intid);
	if (ret)
		return cellvm_err_set(err, CELLVM_E_HOST, ret,
				      "vCPU %u: PMU interrupt %u: %s", v->index,
				      irq, strerror(-ret));
	ret = kvm_pmu_attr(v, KVM_ARM_VCPU_PMU_V3_INIT, NULL);
	if (ret)
		return cellvm_err_set(err, CELLVM_E_HOST, ret,
				      "vCPU %u: PMU init: %s", v->index,
				      strerror(-ret));
	return 0;
}

bool kvm_arch_exit(struct cellvm_hv_vcpu *v, struct cellvm_exit *e)
{
	struct kvm_run *run = v->run;

	/* KVM_CAP_ARM_USER_IRQ: timer/PMU levels, valid on every exit. */
	e->dev_irq_level = (uint32_t)run->s.regs.device_irq_level;
	if (run->exit_reason != KVM_EXIT_ARM_NISV)
		return false;
	e->reason = CELLVM_EXIT_UNDECODED_ABORT;
	e->abort.addr = run->arm_nisv.fault_ipa;
	e->abort.info = run->arm_nisv.esr_iss;
	return true;
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

/*
 * V0-V31 are 128-bit core one-regs (api.rst, "KVM_SET_ONE_REG", arm64:
 * fp_regs.vregs[n], KVM_REG_SIZE_U128) unless the vCPU has SVE: KVM then
 * refuses them and Vn is the low 128 bits of Zn, slice 0 of
 * KVM_REG_ARM64_SVE_ZREG(n, 0). cellvm's ids name 64-bit words.
 */
static bool vreg_id(const struct cellvm_hv_vcpu *v, uint64_t id,
		    uint64_t *kid, unsigned *word)
{
	uint64_t n;

	if (id < CELLVM_ARM64_REG_V_LO(0) || id > CELLVM_ARM64_REG_V_HI(31))
		return false;
	n = (id - CELLVM_ARM64_REG_V_LO(0)) / 2;
	*word = (unsigned)((id - CELLVM_ARM64_REG_V_LO(0)) % 2);
	if (v->features & CELLVM_CPU_SVE)
		*kid = KVM_REG_ARM64_SVE_ZREG(n, 0);
	else
		*kid = KVM_REG_ARM64 | KVM_REG_SIZE_U128 | KVM_REG_ARM_CORE |
		       ((offsetof(struct kvm_regs, fp_regs.vregs) +
			 n * sizeof(__uint128_t)) /
			sizeof(uint32_t));
	return true;
}

/* cellvm's arch register ids to KVM one-reg ids. */
int kvm_arch_reg_id(const struct cellvm_hv_vcpu *v, uint64_t id,
		    uint64_t *kid, unsigned *word)
{
	*word = 0;
	if (id <= 30) {
		*kid = CORE_REG(regs.regs[0]) + id * 2;
		return 0;
	}
	if (vreg_id(v, id, kid, word))
		return 0;
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
	/* The stage-1 regime, for walking the guest's tables: SCTLR_EL1
	 * 3,0,c1,c0,0; TTBR0_EL1 3,0,c2,c0,0; TTBR1_EL1 3,0,c2,c0,1;
	 * TCR_EL1 3,0,c2,c0,2 (DDI 0487, their register descriptions). */
	case CELLVM_ARM64_REG_SCTLR_EL1:
		*kid = SYS_REG(3, 0, 1, 0, 0);
		return 0;
	case CELLVM_ARM64_REG_TTBR0_EL1:
		*kid = SYS_REG(3, 0, 2, 0, 0);
		return 0;
	case CELLVM_ARM64_REG_TTBR1_EL1:
		*kid = SYS_REG(3, 0, 2, 0, 1);
		return 0;
	case CELLVM_ARM64_REG_TCR_EL1:
		*kid = SYS_REG(3, 0, 2, 0, 2);
		return 0;
	default:
		return -EINVAL;
	}
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
			return cellvm_err_set_field(err, "irqchip", CELLVM_E_HOST,
						    ENODEV,
						    "user-space irqchip: KVM lacks KVM_CAP_ARM_USER_IRQ");
		hv->user_irq = true;
		return 0;
	}
	cd.type = desc->type == CELLVM_HV_IRQCHIP_GICV3 ? KVM_DEV_TYPE_ARM_VGIC_V3
							 : KVM_DEV_TYPE_ARM_VGIC_V2;
	if (ioctl(hv->vm_fd, KVM_CREATE_DEVICE, &cd) < 0)
		return -ENODEV; /* this GIC version is not offered */
	hv->irqchip_fd = (int)cd.fd;
	if (desc->type == CELLVM_HV_IRQCHIP_GICV3) {
		ret = vgic_set_addr(hv->irqchip_fd, KVM_VGIC_V3_ADDR_TYPE_DIST,
				    desc->dist_base);
		if (!ret)
			ret = vgic_set_addr(hv->irqchip_fd,
					    KVM_VGIC_V3_ADDR_TYPE_REDIST,
					    desc->redist_base);
	} else {
		ret = vgic_set_addr(hv->irqchip_fd, KVM_VGIC_V2_ADDR_TYPE_DIST,
				    desc->dist_base);
		if (!ret)
			ret = vgic_set_addr(hv->irqchip_fd,
					    KVM_VGIC_V2_ADDR_TYPE_CPU,
					    desc->cpu_base);
	}
	if (!ret && ioctl(hv->irqchip_fd, KVM_SET_DEVICE_ATTR, &nr_attr))
		ret = -errno;
	if (!ret && ioctl(hv->irqchip_fd, KVM_SET_DEVICE_ATTR, &init))
		ret = -errno;
	if (ret) {
		close(hv->irqchip_fd);
		hv->irqchip_fd = -1;
		return cellvm_err_set(err, CELLVM_E_HOST, ret,
				      "in-kernel GICv%d setup: %s",
				      desc->type == CELLVM_HV_IRQCHIP_GICV3 ? 3 : 2,
				      strerror(-ret));
	}
	hv->user_irq = false;
	return 0;
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

/*
 * KVM_IRQ_LINE, type KVM_ARM_IRQ_TYPE_CPU (api.rst): sets HCR_EL2.VI of the
 * vCPU. Call it only from the vCPU's own thread: in Linux 6.1 that thread
 * rewrites the same word non-atomically in kvm_arch_vcpu_load() (on every
 * KVM_RUN entry and every time it is scheduled in), so a change made from
 * another thread at that moment is lost (docs/irqchip.md).
 */
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

/*
 * Every ioctl request this backend (kvm.c and this file) makes, by the
 * thread that makes it: the seccomp filters allow these and no others.
 * A new ioctl here is a new entry in one of these lists.
 */
static const unsigned long kvm_setup_ioctls[] = {
	KVM_GET_API_VERSION, KVM_CREATE_VM, KVM_GET_VCPU_MMAP_SIZE,
	KVM_CHECK_EXTENSION, KVM_ENABLE_CAP, KVM_ARM_PREFERRED_TARGET,
	KVM_SET_USER_MEMORY_REGION, KVM_CREATE_VCPU, KVM_ARM_VCPU_INIT,
	KVM_CREATE_DEVICE, KVM_SET_DEVICE_ATTR, KVM_SET_ONE_REG,
	KVM_GET_ONE_REG, KVM_IOEVENTFD, KVM_IRQFD,
	KVM_ARM_VCPU_FINALIZE, /* --cpu-features sve */
};
static const unsigned long kvm_vcpu_ioctls[] = {
	KVM_RUN, KVM_GET_ONE_REG, /* register dumps, ISV=0 emulation */
	KVM_SET_ONE_REG, /* ISV=0 emulation: the load's target, PC */
	KVM_GET_VCPU_EVENTS, KVM_SET_VCPU_EVENTS, /* abort injection */
};
static const unsigned long kvm_irq_ioctls[] = { KVM_IRQ_LINE };

#define LIST(a) { a, sizeof(a) / sizeof(a[0]) }
static const struct cellvm_hv_ioctls kvm_ioctls = {
	.setup = LIST(kvm_setup_ioctls),
	.vcpu = LIST(kvm_vcpu_ioctls),
	.irq = LIST(kvm_irq_ioctls),
};
#undef LIST

const struct cellvm_hv_ops cellvm_hv_kvm_ops = {
	.name = "kvm",
	.board = &cellvm_board_arm64_virt,
	.vm_create = kvm_vm_create,
	.vm_destroy = kvm_vm_destroy,
	.max_vcpus = kvm_max_vcpus,
	.map_mem = kvm_map_mem,
	.cpu_features = kvm_cpu_features_offered,
	.vcpu_create = kvm_vcpu_create,
	.vcpu_destroy = kvm_vcpu_destroy,
	.irqchip_create = kvm_irqchip_create,
	.vcpu_pmu_init = kvm_vcpu_pmu_init,
	.vcpu_run = kvm_vcpu_run,
	.vcpu_kick = kvm_vcpu_kick,
	.get_reg = kvm_get_reg,
	.set_reg = kvm_set_reg,
	.set_irq_line = kvm_set_irq_line,
	.set_vcpu_irq = kvm_set_vcpu_irq,
	.inject_abort = kvm_inject_abort,
	.ioeventfd = kvm_ioeventfd,
	.irqfd = kvm_irqfd,
	.ioctls = &kvm_ioctls,
};
