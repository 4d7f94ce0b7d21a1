// SPDX-License-Identifier: MIT
/*
 * The arm64 machine: QEMU virt's layout (src/arch/arm64/memmap.h), an
 * interrupt controller (in-kernel GICv3 or GICv2, or cellvm's own GICv2
 * model), a PL011, a PL031 RTC, a PL061 GPIO with a power key, the boot
 * timer, and the boot protocol of the kernel's
 * Documentation/arch/arm64/booting.rst.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "arch/arm64/arm64.h"
#include "arch/arm64/emulate.h"
#include "arch/arm64/kernel_load.h"
#include "cellvm/arm64.h"
#include "arch/arm64/memmap.h"
#include "core/evloop.h"
#include "core/loader.h"
#include "core/vm.h"
#include "dev/boot_timer.h"
#include "dev/gicv2.h"
#include "dev/pl011.h"
#include "dev/pl031.h"
#include "dev/pl061.h"

struct arm64_machine {
	enum cellvm_hv_irqchip_type gic_type; /* NONE: user GICv2 model */
	struct gicv2 gic;
	bool gic_ready;
	struct pl011 *uart;
	struct pl031 *rtc;
	int rtc_timer_fd; /* CLOCK_REALTIME timerfd for the RTC's match */
	struct pl061 *gpio;
	int key_timer_fd; /* CLOCK_MONOTONIC timerfd: release the power key */
	struct boot_timer timer;
	struct arm64_layout layout;
	uint32_t irq_level[CELLVM_MAX_VCPUS]; /* last dev_irq_level seen */
};

static struct arm64_machine *machine(struct cellvm_vm *vm)
{
	return vm->board_priv;
}

/* ---- interrupt controller ------------------------------------------- */

static int kernel_irq_set_line(struct cellvm_irqchip *chip, unsigned line,
			       bool level)
{
	struct cellvm_vm *vm = chip->priv;

	return vm->hv_ops->set_irq_line(vm->hv, line, level);
}

static int kernel_irq_irqfd(struct cellvm_irqchip *chip, unsigned line, int fd)
{
	struct cellvm_vm *vm = chip->priv;

	return vm->hv_ops->irqfd(vm->hv, line, fd);
}

static const struct cellvm_irqchip_ops kernel_irqchip_ops = {
	.set_line = kernel_irq_set_line,
	.irqfd = kernel_irq_irqfd,
};

/* The user GIC's CPU output drives the vCPU's IRQ input, which only the
 * vCPU's own thread sets (vcpu_set_irq). */
static void user_gic_cpu_irq(void *opaque, unsigned cpu, bool level)
{
	struct cellvm_vm *vm = opaque;

	if (cpu < vm->ncpus)
		vcpu_set_irq(&vm->vcpu[cpu], level);
}

static int setup_user_gic(struct cellvm_vm *vm, struct cellvm_err *err)
{
	struct arm64_machine *m = machine(vm);
	struct cellvm_hv_irqchip_desc none = { .type = CELLVM_HV_IRQCHIP_NONE };
	struct gicv2_config gc = {
		.ncpus = vm->ncpus,
		.nr_irqs = CELLVM_GIC_NR_IRQS,
		.set_cpu_irq = user_gic_cpu_irq,
		.opaque = vm,
		.log = &vm->log,
	};
	int ret;

	if (vm->ncpus > GICV2_MAX_CPUS)
		return cellvm_err_set_field(err, "irqchip", CELLVM_E_USAGE, EINVAL,
					    "%u vCPUs: the user-space GICv2 supports at most %d",
					    vm->ncpus, GICV2_MAX_CPUS);
	ret = vm->hv_ops->irqchip_create(vm->hv, &none, err);
	if (ret)
		return ret;
	ret = gicv2_init(&m->gic, &gc);
	if (ret)
		return cellvm_err_set(err, CELLVM_E_INTERNAL, ret,
				      "GICv2 model: %s", strerror(-ret));
	m->gic_ready = true;
	m->gic_type = CELLVM_HV_IRQCHIP_NONE;
	/* Both windows on the bus; each access names its vCPU. */
	ret = cellvm_bus_add(&vm->bus, "gicv2-dist", CELLVM_GIC_DIST_BASE,
			     CELLVM_GIC_DIST_SIZE, &gicv2_dist_mmio_ops, &m->gic);
	if (!ret)
		ret = cellvm_bus_add(&vm->bus, "gicv2-cpu", CELLVM_GIC_CPU_BASE,
				     CELLVM_GIC_CPU_SIZE, &gicv2_cpu_mmio_ops,
				     &m->gic);
	if (ret)
		return cellvm_err_set(err, CELLVM_E_INTERNAL, ret,
				      "GICv2 model: %s", strerror(-ret));
	gicv2_irqchip(&m->gic, &vm->irqchip);
	return 0;
}

static int try_kernel_gic(struct cellvm_vm *vm, enum cellvm_hv_irqchip_type t,
			  struct cellvm_err *err)
{
	struct cellvm_hv_irqchip_desc d = {
		.type = t,
		.nr_irqs = CELLVM_GIC_NR_IRQS,
		.dist_base = CELLVM_GIC_DIST_BASE,
		.redist_base = CELLVM_GIC_REDIST_BASE,
		.cpu_base = CELLVM_GIC_CPU_BASE,
	};

	if (t == CELLVM_HV_IRQCHIP_GICV2 && vm->ncpus > GICV2_MAX_CPUS)
		return -ENODEV;
	if (t == CELLVM_HV_IRQCHIP_GICV3 &&
	    vm->ncpus > CELLVM_GIC_REDIST_MAX_CPUS)
		return -ENODEV;
	return vm->hv_ops->irqchip_create(vm->hv, &d, err);
}

static int setup_irqchip(struct cellvm_vm *vm, struct cellvm_err *err)
{
	struct arm64_machine *m = machine(vm);
	static const enum cellvm_hv_irqchip_type order[] = {
		CELLVM_HV_IRQCHIP_GICV3, CELLVM_HV_IRQCHIP_GICV2,
	};
	unsigned i;
	int ret;

	if (vm->cfg.irqchip == CELLVM_IRQCHIP_USER)
		return setup_user_gic(vm, err);
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		ret = try_kernel_gic(vm, order[i], err);
		if (ret == 0) {
			m->gic_type = order[i];
			vm->irqchip.ops = &kernel_irqchip_ops;
			vm->irqchip.priv = vm;
			return 0;
		}
		if (ret != -ENODEV)
			return ret;
	}
	/* The user never asked for the GICv2 model: if it cannot serve
	 * either, no interrupt controller can (a host limit, not usage). */
	if (vm->cfg.irqchip == CELLVM_IRQCHIP_AUTO &&
	    vm->ncpus > GICV2_MAX_CPUS)
		return cellvm_err_set_field(err, "ncpus", CELLVM_E_HOST, ENODEV,
					    "no usable interrupt controller for %u vCPUs (the in-kernel GICv3 takes at most %d, GICv2 at most %d)",
					    vm->ncpus, CELLVM_GIC_REDIST_MAX_CPUS,
					    GICV2_MAX_CPUS);
	if (vm->cfg.irqchip == CELLVM_IRQCHIP_AUTO)
		return setup_user_gic(vm, err);
	return cellvm_err_set_field(err, "irqchip", CELLVM_E_HOST, ENODEV,
				    "in-kernel irqchip: the hypervisor offers no GICv3 or GICv2 for %u vCPUs",
				    vm->ncpus);
}

/* PMUv3 (CELLVM_CPU_PMU): its overflow interrupt is PPI 23 on every vCPU,
 * as on QEMU virt. KVM wants it connected once the irqchip exists (an
 * in-kernel vGIC: initialized), before the first run. */
static int setup_pmu(struct cellvm_vm *vm, struct cellvm_err *err)
{
	unsigned i;
	int ret;

	if (!(vm->cpu_features & CELLVM_CPU_PMU))
		return 0;
	if (!vm->hv_ops->vcpu_pmu_init)
		return cellvm_err_set(err, CELLVM_E_HOST, EOPNOTSUPP,
				      "the %s backend cannot connect a PMU",
				      vm->hv_ops->name);
	for (i = 0; i < vm->ncpus; i++) {
		ret = vm->hv_ops->vcpu_pmu_init(vm->vcpu[i].hv, CELLVM_PPI_PMU,
						err);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- platform devices ----------------------------------------------- */

static void uart_tx(void *opaque, const uint8_t *buf, size_t len)
{
	cellvm_console_write(opaque, buf, len);
}

static void uart_rx_ready(void *opaque)
{
	cellvm_console_rx_ready(opaque);
}

static void uart_destroy(void *opaque)
{
	pl011_destroy(opaque);
}

/*
 * The RTC: its match alarm is a CLOCK_REALTIME timerfd on the event loop
 * (absolute, so it follows the host clock as the counter does); the
 * offset the guest sets goes to the VM, which outlives nothing but hands
 * it to the command for the next boot (cellvm_vm_rtc_offset()).
 */
static void rtc_set_alarm(void *opaque, int64_t when_ns)
{
	struct cellvm_vm *vm = opaque;
	struct arm64_machine *m = machine(vm);
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };

	if (when_ns != PL031_NO_ALARM) {
		/* it_value 0 disarms: a time at or before the epoch fires
		 * at the earliest expressible moment instead. */
		if (when_ns <= 0)
			when_ns = 1;
		its.it_value.tv_sec = when_ns / 1000000000LL;
		its.it_value.tv_nsec = when_ns % 1000000000LL;
	}
	if (timerfd_settime(m->rtc_timer_fd, TFD_TIMER_ABSTIME, &its, NULL))
		cellvm_log(&vm->log, CELLVM_LOG_WARN, "pl031",
			   "arming the alarm timer: %s", strerror(errno));
}

static void rtc_offset_changed(void *opaque, int64_t offset_ns)
{
	struct cellvm_vm *vm = opaque;

	atomic_store(&vm->rtc_offset_ns, offset_ns);
}

static void rtc_timer_ready(void *opaque, uint32_t events)
{
	struct cellvm_vm *vm = opaque;
	struct arm64_machine *m = machine(vm);
	uint64_t expirations;

	/* EAGAIN: re-armed meanwhile, or a clock change cancelled it. */
	if (read(m->rtc_timer_fd, &expirations, sizeof(expirations)) < 0 &&
	    errno != EAGAIN && errno != ECANCELED)
		cellvm_log(&vm->log, CELLVM_LOG_WARN, "pl031",
			   "alarm timer: %s", strerror(errno));
	pl031_tick(m->rtc);
}

static void rtc_destroy(void *opaque)
{
	pl031_destroy(opaque);
}

static int setup_rtc(struct cellvm_vm *vm, struct cellvm_err *err)
{
	struct arm64_machine *m = machine(vm);
	struct pl031_host rh = {
		.irq = { &vm->irqchip, CELLVM_RTC_IRQ },
		.set_alarm = rtc_set_alarm,
		.offset_changed = rtc_offset_changed,
		.cb_opaque = vm,
		.offset_ns = atomic_load(&vm->rtc_offset_ns),
		.log = &vm->log,
	};
	int ret;

	m->rtc_timer_fd = timerfd_create(CLOCK_REALTIME,
					 TFD_NONBLOCK | TFD_CLOEXEC);
	if (m->rtc_timer_fd < 0)
		return cellvm_err_set(err, CELLVM_E_HOST, errno,
				      "PL031 alarm timer: %s", strerror(errno));
	ret = pl031_create(&rh, &m->rtc);
	if (ret)
		return cellvm_err_set_field(err, "rtc_offset_ns", CELLVM_E_USAGE,
					    -ret, "PL031: %s", strerror(-ret));
	ret = vm_own_device(vm, m->rtc, NULL, rtc_destroy);
	if (ret) {
		pl031_destroy(m->rtc);
		m->rtc = NULL;
		return cellvm_err_set(err, CELLVM_E_INTERNAL, ret,
				      "too many devices");
	}
	ret = cellvm_evloop_add(vm->loop, m->rtc_timer_fd, EPOLLIN,
				rtc_timer_ready, vm);
	if (!ret)
		ret = cellvm_bus_add(&vm->bus, "pl031", CELLVM_RTC_BASE,
				     CELLVM_RTC_SIZE, &pl031_mmio_ops, m->rtc);
	if (ret)
		return cellvm_err_set(err, CELLVM_E_INTERNAL, ret, "PL031: %s",
				      strerror(-ret));
	return 0;
}

/*
 * The power button: a PL061 input pin described as a gpio-keys KEY_POWER
 * (QEMU virt's pin and address). A press holds the pin high for
 * ARM64_KEY_HOLD_NS, then a timerfd on the event loop lets it go: Linux's
 * gpio-keys reads the level after its debounce delay, so a pulse shorter
 * than that would be missed (QEMU holds 100 ms; the longer hold here
 * leaves room for a guest slowed by nested emulation).
 */
#define ARM64_KEY_HOLD_NS 250000000L

static void key_release_ready(void *opaque, uint32_t events)
{
	struct cellvm_vm *vm = opaque;
	struct arm64_machine *m = machine(vm);
	uint64_t expirations;

	if (read(m->key_timer_fd, &expirations, sizeof(expirations)) < 0 &&
	    errno != EAGAIN)
		cellvm_log(&vm->log, CELLVM_LOG_WARN, "pl061",
			   "power key timer: %s", strerror(errno));
	if (pl061_set_input(m->gpio, CELLVM_GPIO_POWER_PIN, false))
		cellvm_log(&vm->log, CELLVM_LOG_WARN, "pl061",
			   "cannot release the power key");
}

static int arm64_power_button(struct cellvm_vm *vm, struct cellvm_err *err)
{
	struct arm64_machine *m = machine(vm);
	struct itimerspec its = { { 0, 0 }, { 0, ARM64_KEY_HOLD_NS } };
	int ret;

	if (!m || !m->gpio || m->key_timer_fd < 0)
		return cellvm_err_set(err, CELLVM_E_INTERNAL, ENODEV,
				      "the power button is not set up");
	/* Pressed again while held: the hold starts anew. */
	if (timerfd_settime(m->key_timer_fd, 0, &its, NULL))
		return cellvm_err_set(err, CELLVM_E_HOST, errno,
				      "power key timer: %s", strerror(errno));
	ret = pl061_set_input(m->gpio, CELLVM_GPIO_POWER_PIN, true);
	if (ret)
		return cellvm_err_set(err, CELLVM_E_INTERNAL, -ret,
				      "power key: %s", strerror(-ret));
	cellvm_log(&vm->log, CELLVM_LOG_INFO, "pl061", "power key pressed");
	return 0;
}

static void gpio_destroy(void *opaque)
{
	pl061_destroy(opaque);
}

static int setup_gpio(struct cellvm_vm *vm, struct cellvm_err *err)
{
	struct arm64_machine *m = machine(vm);
	struct pl061_host gh = {
		.irq = { &vm->irqchip, CELLVM_GPIO_IRQ },
		.power_pin = CELLVM_GPIO_POWER_PIN,
		.log = &vm->log,
	};
	int ret;

	m->key_timer_fd = timerfd_create(CLOCK_MONOTONIC,
					 TFD_NONBLOCK | TFD_CLOEXEC);
	if (m->key_timer_fd < 0)
		return cellvm_err_set(err, CELLVM_E_HOST, errno,
				      "PL061 power key timer: %s",
				      strerror(errno));
	ret = pl061_create(&gh, &m->gpio);
	if (ret)
		return cellvm_err_set(err, CELLVM_E_INTERNAL, -ret,
				      "PL061: %s", strerror(-ret));
	ret = vm_own_device(vm, m->gpio, NULL, gpio_destroy);
	if (ret) {
		pl061_destroy(m->gpio);
		m->gpio = NULL;
		return cellvm_err_set(err, CELLVM_E_INTERNAL, ret,
				      "too many devices");
	}
	ret = cellvm_evloop_add(vm->loop, m->key_timer_fd, EPOLLIN,
				key_release_ready, vm);
	if (!ret)
		ret = cellvm_bus_add(&vm->bus, "pl061", CELLVM_GPIO_BASE,
				     CELLVM_GPIO_SIZE, &pl061_mmio_ops, m->gpio);
	if (ret)
		return cellvm_err_set(err, CELLVM_E_INTERNAL, ret, "PL061: %s",
				      strerror(-ret));
	return 0;
}

static void timer_mark(void *opaque)
{
	vm_mark(opaque, CELLVM_MARK_INIT);
}

static int setup_platform(struct cellvm_vm *vm, struct cellvm_err *err)
{
	struct arm64_machine *m = machine(vm);
	struct pl011_host uh = {
		.irq = { &vm->irqchip, CELLVM_UART_IRQ },
		.tx = uart_tx,
		.rx_ready = uart_rx_ready,
		.cb_opaque = vm->console,
		.log = &vm->log,
	};
	int ret;

	ret = pl011_create(&uh, &m->uart);
	if (ret)
		return cellvm_err_set(err, CELLVM_E_INTERNAL, ret, "PL011: %s",
				      strerror(-ret));
	ret = vm_own_device(vm, m->uart, NULL, uart_destroy);
	if (ret) {
		pl011_destroy(m->uart);
		return cellvm_err_set(err, CELLVM_E_INTERNAL, ret,
				      "too many devices");
	}
	ret = cellvm_bus_add(&vm->bus, "pl011", CELLVM_UART_BASE,
			     CELLVM_UART_SIZE, &pl011_mmio_ops, m->uart);
	if (ret)
		return cellvm_err_set(err, CELLVM_E_INTERNAL, ret, "PL011: %s",
				      strerror(-ret));
	if (vm->cfg.console == CELLVM_CONSOLE_PL011) {
		struct cellvm_console_port port = { pl011_receive, m->uart };

		console_attach(vm->console, &port);
	}
	ret = setup_rtc(vm, err);
	if (!ret)
		ret = setup_gpio(vm, err);
	if (ret)
		return ret;
	m->timer.mark = timer_mark;
	m->timer.opaque = vm;
	ret = cellvm_bus_add(&vm->bus, "boot-timer", CELLVM_BOOT_TIMER_BASE,
			     CELLVM_BOOT_TIMER_SIZE, &boot_timer_mmio_ops,
			     &m->timer);
	if (ret)
		return cellvm_err_set(err, CELLVM_E_INTERNAL, ret,
				      "boot timer: %s", strerror(-ret));
	return arm64_virtio_setup(vm, err);
}

static int arm64_setup(struct cellvm_vm *vm, struct cellvm_err *err)
{
	int ret;

	vm->board_priv = calloc(1, sizeof(struct arm64_machine));
	if (!vm->board_priv)
		return cellvm_err_set(err, CELLVM_E_INTERNAL, ENOMEM,
				      "out of memory");
	machine(vm)->rtc_timer_fd = -1;
	machine(vm)->key_timer_fd = -1;
	ret = setup_irqchip(vm, err);
	if (!ret)
		ret = setup_pmu(vm, err);
	if (ret)
		return ret;
	return setup_platform(vm, err);
}

/* ---- images and device tree ----------------------------------------- */

struct arm64_images {
	struct loader_image kernel, initrd, dtb;
	struct arm64_kernel k;
};

static int open_images(struct cellvm_vm *vm, struct arm64_images *im,
		       struct cellvm_err *err)
{
	int ret;

	ret = loader_open(&vm->cfg.kernel, "kernel", &im->kernel, err);
	if (ret)
		return ret;
	ret = arm64_kernel_probe(&im->kernel, vm->cfg.kernel_format, &im->k,
				 err);
	if (ret)
		return ret;
	if (vm->cfg.initrd.path || vm->cfg.initrd.has_fd || vm->cfg.initrd.size) {
		ret = loader_open(&vm->cfg.initrd, "initrd", &im->initrd, err);
		if (ret)
			return ret;
		if (!im->initrd.size)
			return cellvm_err_set(err, CELLVM_E_IMAGE, EINVAL,
					      "initrd %s: empty file",
					      im->initrd.path);
	}
	if (vm->cfg.dtb.path || vm->cfg.dtb.has_fd) {
		ret = loader_open(&vm->cfg.dtb, "DTB", &im->dtb, err);
		if (ret)
			return ret;
		/* Empty must not mean "generate one": the user asked for
		 * this tree. */
		if (!im->dtb.size)
			return cellvm_err_set(err, CELLVM_E_IMAGE, EINVAL,
					      "DTB %s: empty file", im->dtb.path);
		if (im->dtb.size > ARM64_DTB_MAX_SIZE)
			return cellvm_err_set(err, CELLVM_E_IMAGE, EFBIG,
					      "DTB %s: %" PRIu64 " bytes, larger than the 2 MiB the boot protocol allows",
					      im->dtb.path, im->dtb.size);
	}
	return 0;
}

static void close_images(struct arm64_images *im)
{
	loader_close(&im->kernel);
	loader_close(&im->initrd);
	loader_close(&im->dtb);
}

static const char *default_cmdline(const struct cellvm_vm *vm)
{
	if (vm->cfg.console == CELLVM_CONSOLE_VIRTIO)
		return "console=hvc0";
	return "console=ttyAMA0";
}

/* buf from the host's CSPRNG without waiting; 0 or -errno. */
static int fill_random(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = getrandom(p, len, GRND_NONBLOCK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * /chosen rng-seed and kaslr-seed, fresh for every boot (a reboot makes a
 * new VM). A host whose RNG is not ready yet gets a boot without them
 * rather than a wait: the guest then seeds itself, later.
 */
static void boot_seeds(struct cellvm_vm *vm, struct arm64_fdt_cfg *fc,
		       uint8_t *rng_seed, size_t len)
{
	int ret = fill_random(rng_seed, len);

	if (!ret)
		ret = fill_random(&fc->kaslr_seed, sizeof(fc->kaslr_seed));
	if (ret) {
		fc->kaslr_seed = 0;
		cellvm_log(&vm->log, CELLVM_LOG_WARN, "boot",
			   "getrandom: %s: no rng-seed or kaslr-seed for the guest",
			   strerror(-ret));
		return;
	}
	fc->rng_seed = rng_seed;
	fc->rng_seed_len = len;
}

static int build_dtb(struct cellvm_vm *vm, struct arm64_images *im,
		     uint8_t *rng_seed, struct cellvm_err *err)
{
	struct arm64_machine *m = machine(vm);
	struct arm64_layout *l = &m->layout;
	uint64_t mpidr[CELLVM_MAX_VCPUS];
	char uart_path[32];
	struct arm64_fdt_cfg fc = {
		.ncpus = vm->ncpus,
		.mpidr = mpidr,
		.mem_base = vm->board->ram_base,
		.mem_size = vm->ram_size,
		.cmdline = vm->cfg.cmdline ? vm->cfg.cmdline : default_cmdline(vm),
		.initrd_start = l->initrd_start,
		.initrd_end = l->initrd_start + l->initrd_size,
		.gic = m->gic_type == CELLVM_HV_IRQCHIP_GICV3 ? ARM64_GIC_V3
							     : ARM64_GIC_V2,
		.pmu = vm->cpu_features & CELLVM_CPU_PMU,
		.bus = &vm->bus,
		.stdout_path = vm->cfg.console == CELLVM_CONSOLE_PL011
				       ? uart_path
				       : NULL,
	};
	void *buf = cellvm_mem_ptr(&vm->mem, l->dtb_addr, l->dtb_max);
	unsigned i;
	int ret;

	/* The node name pl011.c writes: "pl011@<base>". */
	snprintf(uart_path, sizeof(uart_path), "/pl011@%llx",
		 (unsigned long long)CELLVM_UART_BASE);

	if (!buf)
		return cellvm_err_set(err, CELLVM_E_INTERNAL, ERANGE,
				      "DTB location outside RAM");
	boot_seeds(vm, &fc, rng_seed, ARM64_RNG_SEED_SIZE);
	for (i = 0; i < vm->ncpus; i++) {
		ret = vm->hv_ops->get_reg(vm->vcpu[i].hv, CELLVM_ARM64_REG_MPIDR,
					  &mpidr[i]);
		if (ret)
			mpidr[i] = i; /* Aff0 = index, as KVM assigns it */
	}
	if (!im->dtb.size)
		return arm64_fdt_build(&fc, buf, l->dtb_max, err);
	ret = loader_place(&im->dtb, &vm->mem, l->dtb_addr, false, NULL, err);
	if (ret)
		return ret;
	fc.dtb_name = im->dtb.path;
	return arm64_fdt_patch(buf, l->dtb_max, &fc, err);
}

/* The seed's only copy belongs in the guest's tree. */
static int write_dtb(struct cellvm_vm *vm, struct arm64_images *im,
		     struct cellvm_err *err)
{
	uint8_t rng_seed[ARM64_RNG_SEED_SIZE];
	int ret = build_dtb(vm, im, rng_seed, err);

	explicit_bzero(rng_seed, sizeof(rng_seed));
	return ret;
}

/* --dump-dtb: the tree exactly as the guest will see it. */
static int dump_dtb(struct cellvm_vm *vm, struct cellvm_err *err)
{
	struct arm64_machine *m = machine(vm);
	const void *fdt = cellvm_mem_ptr(&vm->mem, m->layout.dtb_addr,
					 m->layout.dtb_max);
	size_t len = fdt ? fdt_totalsize(fdt) : 0;
	size_t done = 0;
	int fd, ok;

	if (!fdt || len > m->layout.dtb_max)
		return cellvm_err_set(err, CELLVM_E_INTERNAL, EINVAL,
				      "no device tree to dump");
	/* O_NONBLOCK: a FIFO nobody reads is refused (ENXIO), not waited on;
	 * a pipe with a reader (/dev/stdout into dtc) is fine. */
	fd = open(vm->cfg.dump_dtb,
		  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NONBLOCK, 0666);
	if (fd < 0 && errno == ENXIO)
		return cellvm_err_set_field(err, "dump_dtb", CELLVM_E_IO, ENXIO,
					    "device tree file %s: not a regular file (a FIFO nobody reads)",
					    vm->cfg.dump_dtb);
	if (fd < 0)
		return cellvm_err_set_field(err, "dump_dtb", CELLVM_E_IO, errno,
					    "device tree file %s: %s",
					    vm->cfg.dump_dtb, strerror(errno));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	while (done < len) {
		ssize_t n = write(fd, (const uint8_t *)fdt + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	ok = done == len;
	ok = (close(fd) == 0) && ok;
	if (!ok)
		return cellvm_err_set_field(err, "dump_dtb", CELLVM_E_IO, EIO,
					    "device tree file %s: write failed",
					    vm->cfg.dump_dtb);
	return 0;
}

static int arm64_load(struct cellvm_vm *vm, struct cellvm_err *err)
{
	struct arm64_machine *m = machine(vm);
	struct arm64_images im;
	struct arm64_layout_req req;
	int ret;

	memset(&im, 0, sizeof(im));
	im.kernel.fd = im.initrd.fd = im.dtb.fd = -1;
	ret = open_images(vm, &im, err);
	if (ret)
		goto out;
	req = (struct arm64_layout_req){
		.ram_base = vm->board->ram_base,
		.ram_size = vm->ram_size,
		.initrd_size = im.initrd.size,
		.dtb_size = im.dtb.size,
	};
	ret = arm64_kernel_plan(&im.kernel, &im.k, &vm->mem, &req, &m->layout,
				err);
	if (ret)
		goto out;
	ret = arm64_kernel_place(&im.kernel, &im.k, &vm->mem, &req, &m->layout,
				 vm->cfg.zero_copy, err);
	if (!ret && im.initrd.size)
		ret = loader_place(&im.initrd, &vm->mem, m->layout.initrd_start,
				   vm->cfg.zero_copy, NULL, err);
	if (!ret)
		ret = write_dtb(vm, &im, err);
	if (!ret && vm->cfg.dump_dtb)
		ret = dump_dtb(vm, err);
out:
	close_images(&im);
	return ret;
}

/* booting.rst "CPU mode": x0 = DTB address, x1-x3 = 0, EL1h, DAIF masked. */
static int arm64_vcpu_boot(struct cellvm_vm *vm, struct cellvm_vcpu *v,
			   struct cellvm_err *err)
{
	struct arm64_machine *m = machine(vm);
	const struct {
		uint64_t id, val;
	} regs[] = {
		{ CELLVM_ARM64_REG_X(0), m->layout.dtb_addr },
		{ CELLVM_ARM64_REG_X(1), 0 },
		{ CELLVM_ARM64_REG_X(2), 0 },
		{ CELLVM_ARM64_REG_X(3), 0 },
		{ CELLVM_ARM64_REG_PSTATE, CELLVM_ARM64_PSTATE_BOOT },
		{ CELLVM_ARM64_REG_PC, m->layout.entry },
	};
	unsigned i;
	int ret;

	for (i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		ret = vm->hv_ops->set_reg(v->hv, regs[i].id, regs[i].val);
		if (ret)
			return cellvm_err_set(err, CELLVM_E_HOST, ret,
					      "setting boot register %" PRIu64 ": %s",
					      regs[i].id, strerror(-ret));
	}
	return 0;
}

/* ---- user GIC: the vCPU's timer and PMU lines ---------------------- */

/*
 * Without an in-kernel irqchip the backend reports the vCPU's timer and
 * PMU output levels with every exit (KVM_CAP_ARM_USER_IRQ); changes go to
 * the user GIC's PPIs of that vCPU. Only the vCPU's own thread writes its
 * slot of irq_level.
 */
static void arm64_vcpu_exit(struct cellvm_vm *vm, struct cellvm_vcpu *v,
			    const struct cellvm_exit *e)
{
	struct arm64_machine *m = machine(vm);
	uint32_t levels = e->dev_irq_level;

	if (!m || !m->gic_ready || levels == m->irq_level[v->index])
		return;
	m->irq_level[v->index] = levels;
	/* KVM_CAP_ARM_USER_IRQ: timer and PMU outputs, level-sensitive. */
	if (gicv2_set_ppi(&m->gic, v->index, CELLVM_PPI_VTIMER,
			  levels & CELLVM_DEV_IRQ_VTIMER) ||
	    gicv2_set_ppi(&m->gic, v->index, CELLVM_PPI_PTIMER,
			  levels & CELLVM_DEV_IRQ_PTIMER) ||
	    gicv2_set_ppi(&m->gic, v->index, CELLVM_PPI_PMU,
			  levels & CELLVM_DEV_IRQ_PMU))
		cellvm_log_ratelimited(&vm->log, &v->rl, CELLVM_LOG_WARN,
				       "gic", "cpu%u: PPI update failed",
				       v->index);
}

/* ---- data aborts without syndrome (KVM_EXIT_ARM_NISV) ---------------- */

struct emu_ctx {
	struct cellvm_vm *vm;
	struct cellvm_vcpu *v;
};

static int emu_get_reg(void *opaque, uint64_t id, uint64_t *val)
{
	struct emu_ctx *c = opaque;

	return c->vm->hv_ops->get_reg(c->v->hv, id, val);
}

static int emu_set_reg(void *opaque, uint64_t id, uint64_t val)
{
	struct emu_ctx *c = opaque;

	return c->vm->hv_ops->set_reg(c->v->hv, id, val);
}

/* One access of an emulated instruction: guest RAM (one half of a pair
 * may be RAM), else the bus, as the accessing vCPU. */
static int emu_access(void *opaque, uint64_t ipa, unsigned len, bool is_write,
		      uint64_t *val)
{
	struct emu_ctx *c = opaque;
	void *ram = cellvm_mem_ptr(&c->vm->mem, ipa, len);

	if (ram) {
		/* Little-endian host: *val's first bytes are the lowest. */
		if (is_write)
			memcpy(ram, val, len);
		else {
			*val = 0;
			memcpy(val, ram, len);
		}
		return 0;
	}
	return cellvm_bus_access(&c->vm->bus, c->v->index, ipa, len, is_write,
				 val);
}

static const struct arm64_emu_ops emu_ops = {
	.get_reg = emu_get_reg,
	.set_reg = emu_set_reg,
	.access = emu_access,
};

static int arm64_emulate_abort(struct cellvm_vm *vm, struct cellvm_vcpu *v,
			       uint64_t ipa, char *why, size_t why_len)
{
	struct emu_ctx c = { vm, v };
	struct arm64_emu e = { &emu_ops, &c, &vm->mem };
	const char *reason = "";
	uint32_t insn = 0;
	int ret;

	ret = arm64_emulate_nisv(&e, ipa, &insn, &reason);
	if (ret)
		snprintf(why, why_len, "%s, insn 0x%08" PRIx32, reason, insn);
	return ret;
}

static void arm64_teardown(struct cellvm_vm *vm)
{
	struct arm64_machine *m = machine(vm);

	if (!m)
		return;
	if (m->gic_ready)
		gicv2_destroy(&m->gic);
	/* The event loop no longer runs; the RTC is freed after this. */
	if (m->rtc_timer_fd >= 0)
		close(m->rtc_timer_fd);
	if (m->key_timer_fd >= 0)
		close(m->key_timer_fd);
	free(m);
	vm->board_priv = NULL;
}

static const struct cellvm_reg_desc arm64_regs[] = {
	{ CELLVM_ARM64_REG_PC, "pc" },
	{ CELLVM_ARM64_REG_PSTATE, "pstate" },
	{ CELLVM_ARM64_REG_SP_EL1, "sp_el1" },
	{ CELLVM_ARM64_REG_ELR_EL1, "elr_el1" },
	{ CELLVM_ARM64_REG_ESR_EL1, "esr_el1" },
	{ CELLVM_ARM64_REG_FAR_EL1, "far_el1" },
	{ CELLVM_ARM64_REG_SPSR_EL1, "spsr_el1" },
	{ CELLVM_ARM64_REG_SP, "sp_el0" },
	{ CELLVM_ARM64_REG_X(0), "x0" },   { CELLVM_ARM64_REG_X(1), "x1" },
	{ CELLVM_ARM64_REG_X(2), "x2" },   { CELLVM_ARM64_REG_X(3), "x3" },
	{ CELLVM_ARM64_REG_X(4), "x4" },   { CELLVM_ARM64_REG_X(5), "x5" },
	{ CELLVM_ARM64_REG_X(6), "x6" },   { CELLVM_ARM64_REG_X(7), "x7" },
	{ CELLVM_ARM64_REG_X(8), "x8" },   { CELLVM_ARM64_REG_X(9), "x9" },
	{ CELLVM_ARM64_REG_X(10), "x10" }, { CELLVM_ARM64_REG_X(11), "x11" },
	{ CELLVM_ARM64_REG_X(12), "x12" }, { CELLVM_ARM64_REG_X(13), "x13" },
	{ CELLVM_ARM64_REG_X(14), "x14" }, { CELLVM_ARM64_REG_X(15), "x15" },
	{ CELLVM_ARM64_REG_X(16), "x16" }, { CELLVM_ARM64_REG_X(17), "x17" },
	{ CELLVM_ARM64_REG_X(18), "x18" }, { CELLVM_ARM64_REG_X(19), "x19" },
	{ CELLVM_ARM64_REG_X(20), "x20" }, { CELLVM_ARM64_REG_X(21), "x21" },
	{ CELLVM_ARM64_REG_X(22), "x22" }, { CELLVM_ARM64_REG_X(23), "x23" },
	{ CELLVM_ARM64_REG_X(24), "x24" }, { CELLVM_ARM64_REG_X(25), "x25" },
	{ CELLVM_ARM64_REG_X(26), "x26" }, { CELLVM_ARM64_REG_X(27), "x27" },
	{ CELLVM_ARM64_REG_X(28), "x28" }, { CELLVM_ARM64_REG_X(29), "x29" },
	{ CELLVM_ARM64_REG_X(30), "x30" },
};

const struct cellvm_board_ops cellvm_board_arm64_virt = {
	.name = "arm64-virt",
	.ram_base = CELLVM_RAM_BASE,
	/* Guest-physical addresses have 40 bits (the KVM default IPA size,
	 * api.rst KVM_CREATE_VM): RAM from 1 GiB up to 1 TiB. */
	.ram_max = CELLVM_RAM_MAX_SIZE,
	.setup = arm64_setup,
	.load = arm64_load,
	.vcpu_boot = arm64_vcpu_boot,
	.vcpu_exit = arm64_vcpu_exit,
	.emulate_abort = arm64_emulate_abort,
	.teardown = arm64_teardown,
	.power_button = arm64_power_button,
	.regs = arm64_regs,
	.nr_regs = sizeof(arm64_regs) / sizeof(arm64_regs[0]),
};
