/* SPDX-License-Identifier: MIT */
/*
 * libcellvm: the VMM as a library. Fill a struct cellvm_config, create a
 * VM, run it until the guest stops, destroy it. All state lives in the VM
 * object, so a process may hold several.
 *
 *	struct cellvm_config cfg;
 *	cellvm_config_init(&cfg);
 *	cfg.kernel.path = "Image";
 *	if (cellvm_vm_create(&cfg, &vm, &err) == 0) {
 *		cellvm_vm_run(vm, &why, &err);
 *		cellvm_vm_destroy(vm);
 *	}
 */
#ifndef CELLVM_CELLVM_H
#define CELLVM_CELLVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "hv.h"
#include "log.h"

struct cellvm_vm;

/* The boards (machines) libcellvm builds. */
extern const struct cellvm_board_ops cellvm_board_arm64_virt;

/* The most vCPUs a VM may have (the backend and board may allow fewer). */
#define CELLVM_MAX_VCPUS 512

enum cellvm_irqchip_mode {
	/* in-kernel GICv3, else in-kernel GICv2, else cellvm's own model */
	CELLVM_IRQCHIP_AUTO,
	CELLVM_IRQCHIP_KERNEL, /* the same, but never user space */
	CELLVM_IRQCHIP_USER, /* cellvm's own GICv2 model */
};

enum cellvm_console_kind {
	CELLVM_CONSOLE_PL011,
	CELLVM_CONSOLE_VIRTIO,
};

/* How to read the kernel file (README, "Kernel formats"). */
enum cellvm_kernel_format {
	CELLVM_KERNEL_AUTO = 0, /* by content: Image, gzip'd Image or ELF */
	CELLVM_KERNEL_IMAGE, /* an uncompressed arm64 Image */
	CELLVM_KERNEL_GZIP, /* a gzip-compressed Image (Image.gz, vmlinuz) */
	CELLVM_KERNEL_ELF, /* a vmlinux: PT_LOAD segments, Image header first */
	CELLVM_KERNEL_RAW, /* headerless, at RAM base + 0x80000; never guessed */
};

/*
 * A guest image: a file (path), or bytes already in memory (data, size,
 * path NULL). With both path and size, file_offset >= 0 says that `data`
 * is the part of the file `path` starting at that offset (the embedded
 * guest inside cellvm's own ELF); a page-aligned offset may then be mapped
 * instead of copied. -1 (cellvm_config_init's value): no such part.
 *
 * immutable: the caller vouches that the file cannot change while any VM
 * using it runs, so zero_copy may map it copy-on-write instead of copying
 * it. Only then: a file mapped MAP_PRIVATE still shows later writes to
 * pages the guest has not written, and a truncation turns guest RAM into
 * SIGBUS/EFAULT. cellvm sets it for the guest embedded in its own running
 * executable, after checking that the kernel write-protects it (opening
 * it for writing fails with ETXTBSY).
 *
 * Pre-opened files (has_fd, here and in the disk and net settings): the
 * VM uses a duplicate of `fd` instead of opening `path`, which then only
 * names the file in messages. The caller keeps `fd` open across VMs, so a
 * process that can no longer open anything (cellvm --jail) can still
 * create a VM after a guest reboot.
 */
struct cellvm_image {
	const char *path;
	const void *data;
	size_t size;
	long long file_offset; /* -1: not mappable */
	bool has_fd;
	int fd; /* read with pread() only: its offset is left alone */
	bool immutable; /* may be mapped: see above */
};

struct cellvm_disk_cfg {
	const char *path;
	bool readonly;
	bool has_fd; /* fd opened O_RDONLY (readonly) or O_RDWR */
	int fd;
};

struct cellvm_net_cfg {
	const char *tap;
	uint8_t mac[6];
	bool has_mac;
	bool has_fd; /* fd: /dev/net/tun already attached to `tap` */
	int fd;
};

/* virtio-vsock: the guest's CID (3..0xfffffffe) and its host side, the
 * Unix socket uds_path (host programs connect there; the guest's
 * connections to CID 2 port P go to uds_path_P). */
struct cellvm_vsock_cfg {
	uint64_t guest_cid;
	const char *uds_path;
	bool has_fd; /* fd: a listener already bound to uds_path */
	int fd;
};

/* Device types a configuration may list. */
enum cellvm_dev_type {
	CELLVM_DEV_VIRTIO_BLK,
	CELLVM_DEV_VIRTIO_NET,
	CELLVM_DEV_VIRTIO_RNG,
	/* Chosen by cellvm_config.console, never listed. */
	CELLVM_DEV_VIRTIO_CONSOLE,
	CELLVM_DEV_VIRTIO_VSOCK, /* at most one */
};

/*
 * The kinds of thread cellvm runs, for per-thread system call filters
 * (the command's seccomp policy, src/cli/seccomp.c, has one row each).
 * A new kind of thread is one value here and one row there.
 */
enum cellvm_thread_kind {
	/* The thread in cellvm_vm_run(): the event loop; the command also
	 * destroys and re-creates the VM there on a guest reboot. */
	CELLVM_THREAD_EVLOOP,
	CELLVM_THREAD_VCPU, /* one per vCPU: KVM_RUN and its exits */
	CELLVM_THREAD_VIRTIO_BLK, /* device workers, one per device */
	CELLVM_THREAD_VIRTIO_NET,
	CELLVM_THREAD_VIRTIO_RNG,
	CELLVM_THREAD_VIRTIO_CONSOLE,
	CELLVM_THREAD_VIRTIO_VSOCK,
	CELLVM_THREAD_KIND_NR,
};

/* One device of the machine and its settings. */
struct cellvm_dev_cfg {
	enum cellvm_dev_type type;
	union {
		struct cellvm_disk_cfg blk; /* CELLVM_DEV_VIRTIO_BLK */
		struct cellvm_net_cfg net; /* CELLVM_DEV_VIRTIO_NET */
		struct cellvm_vsock_cfg vsock; /* CELLVM_DEV_VIRTIO_VSOCK */
		uint8_t reserved[64]; /* room for later types' settings */
	};
};

#define CELLVM_CONSOLE_HOLD_MAX 4096

/*
 * Console input read from the host but not yet taken by the guest. Given
 * in the config (console_hold), it is loaded when a VM's console starts
 * and written back when it goes, so input survives from one VM to the
 * next (a guest reboot) instead of being dropped. Start it zeroed.
 */
struct cellvm_console_hold {
	uint8_t buf[CELLVM_CONSOLE_HOLD_MAX];
	size_t len;
	bool escape; /* the last byte read was a lone Ctrl-A */
};

struct cellvm_config {
	const struct cellvm_hv_ops *hv;
	/* An open handle on the backend's device (/dev/kvm), used instead of
	 * opening it; -1 (cellvm_config_init's value): the backend opens it. */
	int hv_fd;
	/* The machine; NULL: the backend's (cellvm_hv_ops.board). */
	const struct cellvm_board_ops *board;
	uint64_t mem_size;
	unsigned ncpus;
	struct cellvm_image kernel;
	enum cellvm_kernel_format kernel_format; /* default AUTO */
	struct cellvm_image initrd; /* size 0 and no path: none */
	struct cellvm_image dtb; /* none: generate one */
	const char *cmdline; /* NULL: a default for the console kind */
	enum cellvm_irqchip_mode irqchip;
	/* Optional CPU features (CELLVM_CPU_* of arm64.h) every vCPU gets; the
	 * VM is refused (CELLVM_E_HOST) if the hypervisor lacks one. With
	 * cpu_features_host, those of them the hypervisor offers. */
	unsigned cpu_features;
	bool cpu_features_host;
	enum cellvm_console_kind console;
	int console_in; /* fd, or -1 for no input */
	int console_out; /* fd */
	/* NULL, or where console input the guest has not taken yet is kept
	 * between VMs (struct cellvm_console_hold); the command keeps one
	 * for reboots. */
	struct cellvm_console_hold *console_hold;
	/*
	 * The devices, nr_devs of them, read during cellvm_vm_create().
	 * Each gets a slot of the board's map (its size bounds the count);
	 * slots go by type in the order above, then in list order.
	 */
	const struct cellvm_dev_cfg *devs;
	unsigned nr_devs;
	bool zero_copy; /* map immutable images copy-on-write */
	/*
	 * The guest's real-time clock minus host UTC, in ns (0: the guest
	 * sees host UTC). A guest setting its clock changes the VM's copy;
	 * read it with cellvm_vm_rtc_offset() and pass it to the next VM
	 * to keep the guest's time across a reboot.
	 */
	int64_t rtc_offset_ns;
	const char *dump_dtb; /* write the guest's device tree here */
	/* -1, or an fd the caller makes readable to stop the VM (a pipe a
	 * signal handler writes to). Never read by cellvm, so a request stays
	 * pending: a running VM stops with CELLVM_STOP_QUIT, and creating one
	 * fails with CELLVM_E_STOPPED, whenever it came. */
	int stop_fd;
	/* -1, or an fd the caller makes readable to ask the guest to power
	 * off (a pipe a signal handler writes to). Never read by cellvm: a
	 * request stays pending, and each VM created while it is presses
	 * its power button once (cellvm_vm_request_poweroff()) as soon as
	 * it runs. How long to wait for the guest is the caller's business
	 * (stop_fd ends the wait). */
	int poweroff_fd;
	struct cellvm_log log;
	/*
	 * Optional: called in every thread cellvm runs, in the thread, once
	 * its set-up is done and before it touches anything the guest
	 * controls (the command installs that kind's seccomp filter). A
	 * thread whose call fails does not run: the VM stops with the error.
	 */
	int (*thread_enter)(void *ctx, enum cellvm_thread_kind kind);
	void *thread_ctx;
	/*
	 * Optional: -1 (cellvm_config_init's value), or an fd the VM's event
	 * loop watches for readability (level-triggered), calling
	 * control_ready(control_ctx) on the event-loop thread when it is.
	 * The command's API server (src/api) hands its epoll fd here, so its
	 * clients are served by the loop of whichever VM runs, across guest
	 * reboots. control_ready must not block.
	 */
	int control_fd;
	void (*control_ready)(void *ctx);
	void *control_ctx;
};

/* Why cellvm_vm_run returned. */
enum cellvm_stop {
	CELLVM_STOP_NONE = 0,
	CELLVM_STOP_POWEROFF, /* guest powered off */
	CELLVM_STOP_RESET, /* guest asked to reboot */
	CELLVM_STOP_CRASH, /* guest reported a crash */
	CELLVM_STOP_QUIT, /* user quit (Ctrl-A x) or a stop request */
	CELLVM_STOP_ERROR, /* cellvm could not go on (see the error) */
};

/* Timestamps (CLOCK_MONOTONIC ns, 0 = not reached) for --boot-timing. */
enum cellvm_boot_mark {
	CELLVM_MARK_VM_CREATED,
	CELLVM_MARK_IMAGES_LOADED,
	CELLVM_MARK_FIRST_RUN,
	CELLVM_MARK_FIRST_CONSOLE_BYTE,
	CELLVM_MARK_INIT,
	CELLVM_MARK_NR,
};

void cellvm_config_init(struct cellvm_config *cfg);

int cellvm_vm_create(const struct cellvm_config *cfg, struct cellvm_vm **out,
		     struct cellvm_err *err) CELLVM_MUST_CHECK;

/* Run the guest until it stops. Returns 0 with *why set, or -errno. */
int cellvm_vm_run(struct cellvm_vm *vm, enum cellvm_stop *why,
		  struct cellvm_err *err) CELLVM_MUST_CHECK;

/* Ask a running VM to stop with `why`. Async-signal-safe. */
void cellvm_vm_request_stop(struct cellvm_vm *vm, enum cellvm_stop why);

/*
 * Ask the guest to power off: press the machine's power button (a press
 * and, a moment later, a release; on arm64-virt the gpio-keys KEY_POWER
 * of its PL061). The guest decides what to do; nothing waits for it.
 * Call it on the thread that runs cellvm_vm_run() (from an event-loop
 * handler) or before the VM runs, never concurrently with
 * cellvm_vm_destroy(). 0, or -errno with err set: -EOPNOTSUPP when the
 * board has no power button.
 */
int cellvm_vm_request_poweroff(struct cellvm_vm *vm,
			       struct cellvm_err *err) CELLVM_MUST_CHECK;

/* Boot timestamp `m` in CLOCK_MONOTONIC nanoseconds, 0 if not reached. */
uint64_t cellvm_vm_mark(const struct cellvm_vm *vm, enum cellvm_boot_mark m);

/* The guest's real-time clock minus host UTC in ns, as the guest last
 * set it (cellvm_config.rtc_offset_ns until it does). Thread-safe. */
int64_t cellvm_vm_rtc_offset(const struct cellvm_vm *vm);

/*
 * Pause a running VM: every vCPU is taken out of the hypervisor's run
 * call and held, and every device worker is stopped, before this returns.
 * The guest's virtual counter is not stopped: its clock shows the paused
 * time (docs/api.md, "Pause and resume"). -EBUSY if already paused,
 * -ESRCH if the VM is stopping, -ETIMEDOUT (and the VM left running) if a
 * vCPU did not come out within a second. Call it from the thread that
 * runs cellvm_vm_run() (a control_ready handler) or any other thread but
 * a vCPU's.
 */
int cellvm_vm_pause(struct cellvm_vm *vm,
		    struct cellvm_err *err) CELLVM_MUST_CHECK;

/* Continue a paused VM where it stopped: device workers first, then the
 * vCPUs. -EBUSY if it is not paused. */
int cellvm_vm_resume(struct cellvm_vm *vm,
		     struct cellvm_err *err) CELLVM_MUST_CHECK;

/*
 * Give disk `index` (the index-th CELLVM_DEV_VIRTIO_BLK of the config's
 * device list) a new backing file, opened in the disk's mode and locked
 * as at creation; the same path is a rescan of a file the host changed.
 * The disk's worker is stopped while the file is swapped, so no request
 * is in flight; the guest is told of the new capacity by a virtio
 * configuration change. On failure the old file stays. A running or
 * paused VM; from the thread of cellvm_vm_run() or another non-vCPU
 * thread, not concurrently with a pause.
 */
int cellvm_vm_disk_replace(struct cellvm_vm *vm, unsigned index,
			   const char *path,
			   struct cellvm_err *err) CELLVM_MUST_CHECK;

/* Whether the VM is paused. Thread-safe. */
bool cellvm_vm_paused(const struct cellvm_vm *vm);

/*
 * Ask the guest to power off (press its power key). 0 when the request
 * reached the guest, -errno otherwise. The guest decides what to do.
 */
int cellvm_vm_request_poweroff(struct cellvm_vm *vm,
			       struct cellvm_err *err) CELLVM_MUST_CHECK;

/* Counters of one vCPU (cellvm_vm_counters()). */
struct cellvm_vcpu_counters {
	uint64_t exits; /* every return from the hypervisor's run call */
	uint64_t exits_mmio; /* MMIO accesses, decoded or emulated */
	uint64_t exits_kick; /* kicks and IRQ-level updates */
	uint64_t exits_other; /* everything else */
};

#define CELLVM_COUNTERS_MAX_QUEUES 3

/* Counters of one MMIO window of the machine (a device). */
struct cellvm_dev_counters {
	const char *name; /* the window's name, e.g. "virtio-blk" */
	uint64_t base; /* its guest-physical base */
	uint64_t reads, writes; /* guest MMIO accesses */
	/* virtio devices (0 for others): interrupts raised, times the
	 * device entered its error state (virtio 1.2 2.1.2, NEEDS_RESET),
	 * and per queue the requests completed and the bytes the driver
	 * gave (readable) and the device wrote back. */
	uint64_t irqs;
	uint64_t errors;
	unsigned nr_queues;
	struct {
		uint64_t requests, bytes_read, bytes_written;
	} queue[CELLVM_COUNTERS_MAX_QUEUES];
};

/* Counters of the whole VM. */
struct cellvm_vm_totals {
	uint64_t uptime_ns; /* since creation */
	uint64_t console_in_bytes; /* console input read from the host */
	uint64_t console_out_bytes; /* guest console output written */
};

/*
 * Read the VM's counters: up to max_vcpus vCPU records and max_devs
 * device records (either array may be NULL with a 0 maximum), the
 * numbers present in *nr_vcpus / *nr_devs, and the VM's totals (may be
 * NULL). Thread-safe; each counter is read atomically, the set is not a
 * snapshot.
 */
void cellvm_vm_counters(const struct cellvm_vm *vm,
			struct cellvm_vcpu_counters *vcpus, unsigned max_vcpus,
			unsigned *nr_vcpus, struct cellvm_dev_counters *devs,
			unsigned max_devs, unsigned *nr_devs,
			struct cellvm_vm_totals *totals);

void cellvm_vm_destroy(struct cellvm_vm *vm);

#endif
