// SPDX-License-Identifier: MIT
/*
 * cellvm: boot an AArch64 Linux guest on KVM.
 *
 * With no image options it boots the guest embedded in its own ELF. The
 * guest's reboot restarts the VM (a fresh VM object, images loaded anew)
 * unless --no-reboot is given. Only this directory prints and exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "arch/arm64/arm64.h"
#include "cellvm/cellvm.h"
#include "core/loader.h"
#include "core/parse.h"
#include "cli/cli.h"
#include "version.h" /* CELLVM_VERSION, generated at build time */
#include "cli/jail.h"
#include "core/thread.h"
#include "dev/virtio_net.h"
#include "dev/virtio_vsock.h"
#include "cli/seccomp.h"
#include "cli/api_cli.h"

struct cli {
	struct cellvm_config cfg;
	/* --disk, --net, --rng in command-line order; cfg.devs points here. */
	struct cellvm_dev_cfg *devs;
	unsigned nr_devs;
	bool rng;
	bool vsock;
	struct cellvm_console_hold hold; /* console input across reboots */
	bool no_reboot;
	bool no_seccomp;
	struct sandbox sandbox; /* the threads' seccomp filters */
	int boot_timing; /* 0 off, 1 text, 2 json */
	uint64_t start_ns;
	struct jail_cfg jail;
	/* --jail: fds opened before jailing and kept across guest reboots. */
	int *keep;
	unsigned nr_keep;
	struct cli_api api; /* --api-sock, --config-file */
};

/*
 * Stop signals (README, "Stopping a guest"). SIGTERM and SIGHUP ask the
 * guest to power off: a byte in the power-off pipe (the VMs' poweroff_fd:
 * each VM presses its power button once) and the stop timer armed for
 * --shutdown-timeout seconds. SIGINT, a second SIGTERM or SIGHUP, or any
 * of them with --shutdown-timeout 0 fire the stop timer at once.
 *
 * The stop timer (a CLOCK_MONOTONIC timerfd) is the VMs' stop_fd: once
 * expired it stays readable, as nobody reads it, so a request is never
 * lost: whether it comes before the VM exists, while it is created, while
 * it runs or between reboots, the next check sees it (status 8). The
 * deadline is the process's, so it holds across guest reboots.
 *
 * A signal handler can only reach the process's own state: this is it.
 * The handler runs on whichever thread the signal hits (the event loop
 * or a vCPU: device workers block signals); timerfd_settime and write
 * are plain system calls both threads' filters allow.
 */
enum stop_state {
	STOP_IDLE,
	STOP_GRACEFUL, /* the button was pressed, the deadline armed */
	STOP_NOW, /* the stop timer is set to fire at once */
};

static struct {
	int stop_timer;
	int poweroff_pipe[2];
	unsigned timeout_s; /* --shutdown-timeout */
	atomic_int state; /* enum stop_state, only ever moving on */
	atomic_bool graceful; /* a power-off was asked for */
} sigs = { -1, { -1, -1 }, CLI_SHUTDOWN_TIMEOUT_DEFAULT, STOP_IDLE, false };

static void stop_timer_arm(time_t s, long ns)
{
	struct itimerspec its = { { 0, 0 }, { s, ns } };

	if (timerfd_settime(sigs.stop_timer, 0, &its, NULL) < 0) {
		/* Cannot happen with a valid timerfd and value. */
	}
}

/*
 * The state only moves IDLE -> GRACEFUL -> NOW or IDLE -> NOW; a handler
 * on another thread may move it while this one runs, so after arming the
 * deadline, look again: a stop that came meanwhile must not be pushed
 * back to the deadline.
 */
static void on_stop_signal(int sig)
{
	int saved = errno, idle = STOP_IDLE;
	char b = 0;

	if (sig != SIGINT && sigs.timeout_s > 0 &&
	    atomic_compare_exchange_strong(&sigs.state, &idle,
					   STOP_GRACEFUL)) {
		atomic_store(&sigs.graceful, true);
		if (write(sigs.poweroff_pipe[1], &b, 1) < 0) {
			/* Full: a request is pending anyway. */
		}
		stop_timer_arm((time_t)sigs.timeout_s, 0);
		if (atomic_load(&sigs.state) == STOP_NOW)
			stop_timer_arm(0, 1);
	} else if (atomic_exchange(&sigs.state, STOP_NOW) != STOP_NOW) {
		stop_timer_arm(0, 1); /* 0 would disarm it */
	}
	errno = saved;
}

static const int stop_sigs[] = { SIGINT, SIGTERM, SIGHUP };

/* Block (how SIG_BLOCK) or let through (SIG_UNBLOCK) the stop signals:
 * they are held while the options are parsed, never lost. */
static void stop_signals_mask(int how)
{
	sigset_t set;
	unsigned i;

	sigemptyset(&set);
	for (i = 0; i < sizeof(stop_sigs) / sizeof(stop_sigs[0]); i++)
		sigaddset(&set, stop_sigs[i]);
	sigprocmask(how, &set, NULL);
}

static int stop_signals_install(void)
{
	struct sigaction sa;
	unsigned i;

	stop_signals_mask(SIG_BLOCK);
	sigs.stop_timer = timerfd_create(CLOCK_MONOTONIC,
					 TFD_CLOEXEC | TFD_NONBLOCK);
	if (sigs.stop_timer < 0 ||
	    pipe2(sigs.poweroff_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < sizeof(stop_sigs) / sizeof(stop_sigs[0]); i++)
		if (sigaction(stop_sigs[i], &sa, NULL) < 0)
			return -errno;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/*
 * A closed standard fd would be reused by the next open() (the event
 * loop's epoll fd became fd 0 and was added to itself): put /dev/null
 * there first. Returns whether stdin was open, i.e. is console input.
 */
static bool std_fds_fill(void)
{
	bool in_open = fcntl(STDIN_FILENO, F_GETFD) >= 0;
	int fd;

	for (fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
		int n;

		if (fcntl(fd, F_GETFD) >= 0)
			continue;
		n = open("/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY);
		if (n >= 0 && n != fd) {
			dup2(n, fd);
			close(n);
		}
	}
	return in_open;
}

static void usage(FILE *f)
{
	fputs("usage: cellvm [OPTION]...\n"
	      "Boot an AArch64 Linux guest on KVM (the embedded default guest unless\n"
	      "--kernel is given).\n\n"
	      "  --kernel PATH        arm64 Linux kernel: Image, Image.gz or ELF vmlinux\n"
	      "  --kernel-format FMT  auto (default, by content), image, gzip, elf, or raw:\n"
	      "                       a headerless binary at RAM base + 0x80000\n"
	      "  --initrd PATH        initramfs (default: embedded one, or none with --kernel)\n"
	      "  --cmdline STRING     kernel command line (--append STRING: the same)\n"
	      "  --dtb PATH           boot this DTB (chosen and memory are patched)\n"
	      "  --mem SIZE           guest RAM, e.g. 256M, 1G (default 256M)\n"
	      "  --cpus N             vCPUs (default 1)\n"
	      "  --irqchip MODE       auto (default), kernel, or user\n"
	      "  --cpu-features LIST  none (default), host, or pmu,sve,pauth\n"
	      "  --console KIND       pl011 (default) or virtio (hvc0)\n"
	      "  --disk PATH[,ro]     virtio-blk disk on a raw file (repeatable)\n"
	      "  --net tap=IF[,mac=M] virtio-net on a TAP device (repeatable)\n"
	      "  --rng                virtio-rng fed by getrandom()\n"
	      "  --vsock cid=N,uds=PATH  virtio-vsock, guest CID N (>= 3); host\n"
	      "                       programs connect to the Unix socket PATH\n"
	      "  --no-reboot          exit (status 6) when the guest reboots\n"
	      "  --no-zero-copy       copy the embedded guest too instead of mapping it\n"
	      "  --no-seccomp         run without system call filters (not advised)\n"
	      "  --dump-dtb PATH      write the guest's device tree to PATH and exit\n"
	      "  --shutdown-timeout SECS  on SIGTERM/SIGHUP press the power button and\n"
	      "                       stop after SECS (default 10; 0: stop at once)\n"
	      "  --boot-timing[=json] print boot timestamps to stderr at exit\n"
	      "  --api-sock PATH      serve the Firecracker-compatible API on this\n"
	      "                       Unix socket; without --kernel, wait for\n"
	      "                       InstanceStart (docs/api.md)\n"
	      "  --config-file FILE   the machine as a JSON file (GET /vm/config's shape)\n"
	      "  --jail               confine cellvm once its files are open\n"
	      "                       (needs --uid and --gid)\n"
	      "  --jail-root DIR      the jail's root (default: an empty tmpfs)\n"
	      "  --uid N, --gid N     the ids the jailed cellvm runs as\n"
	      "  -v, --verbose        more log output (repeatable)\n"
	      "  -h, --help           this text\n"
	      "  --version            print the version and exit\n\n"
	      "Console: Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A.\n"
	      "Exit status: 0 guest powered off, 1 runtime failure, 2 usage error,\n"
	      "3 bad kernel/initrd/DTB, 4 host cannot run the VM or a --jail step\n"
	      "failed, 5 disk/TAP/console I/O error, 6 guest rebooted with\n"
	      "--no-reboot, 7 guest crashed, 8 stopped by Ctrl-A x or a signal\n"
	      "(also when the guest powered off after SIGTERM/SIGHUP), 9 a thread\n"
	      "made a forbidden system call (seccomp). SIGINT stops at once.\n",
	      f);
}

static int CELLVM_PRINTF(1, 2) usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "cellvm: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (see cellvm --help)\n");
	va_end(ap);
	return CLI_USAGE;
}

enum {
	OPT_KERNEL = 256, OPT_INITRD, OPT_CMDLINE, OPT_DTB, OPT_MEM, OPT_CPUS,
	OPT_IRQCHIP, OPT_CONSOLE, OPT_DISK, OPT_NET, OPT_RNG, OPT_NO_REBOOT,
	OPT_NO_ZERO_COPY, OPT_BOOT_TIMING, OPT_DUMP_DTB, OPT_CPU_FEATURES,
	OPT_VERSION,
	OPT_JAIL, OPT_JAIL_ROOT, OPT_UID, OPT_GID, OPT_JAIL_PROBE,
	OPT_KERNEL_FORMAT, OPT_NO_SECCOMP, OPT_SHUTDOWN_TIMEOUT, OPT_VSOCK,
	OPT_API_SOCK, OPT_CONFIG_FILE,
};

static const struct option options[] = {
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "kernel-format", required_argument, NULL, OPT_KERNEL_FORMAT },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "cmdline", required_argument, NULL, OPT_CMDLINE },
	{ "append", required_argument, NULL, OPT_CMDLINE },
	{ "dtb", required_argument, NULL, OPT_DTB },
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "irqchip", required_argument, NULL, OPT_IRQCHIP },
	{ "cpu-features", required_argument, NULL, OPT_CPU_FEATURES },
	{ "console", required_argument, NULL, OPT_CONSOLE },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "net", required_argument, NULL, OPT_NET },
	{ "rng", no_argument, NULL, OPT_RNG },
	{ "vsock", required_argument, NULL, OPT_VSOCK },
	{ "no-reboot", no_argument, NULL, OPT_NO_REBOOT },
	{ "no-zero-copy", no_argument, NULL, OPT_NO_ZERO_COPY },
	{ "no-seccomp", no_argument, NULL, OPT_NO_SECCOMP },
	{ "boot-timing", optional_argument, NULL, OPT_BOOT_TIMING },
	{ "dump-dtb", required_argument, NULL, OPT_DUMP_DTB },
	{ "shutdown-timeout", required_argument, NULL, OPT_SHUTDOWN_TIMEOUT },
	{ "jail", no_argument, NULL, OPT_JAIL },
	{ "jail-root", required_argument, NULL, OPT_JAIL_ROOT },
	{ "uid", required_argument, NULL, OPT_UID },
	{ "gid", required_argument, NULL, OPT_GID },
	/* Tests: after jailing, report what the jail refuses (harmless;
	 * undocumented, so tools/check-docs skips it). */
	{ "jail-probe", no_argument, NULL, OPT_JAIL_PROBE }, /* hidden */
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "api-sock", required_argument, NULL, OPT_API_SOCK },
	{ "config-file", required_argument, NULL, OPT_CONFIG_FILE },
	{ NULL, 0, NULL, 0 },
};

static int parse_kernel_format(struct cli *c, const char *arg)
{
	static const struct {
		const char *name;
		enum cellvm_kernel_format fmt;
	} formats[] = {
		{ "auto", CELLVM_KERNEL_AUTO }, { "image", CELLVM_KERNEL_IMAGE },
		{ "gzip", CELLVM_KERNEL_GZIP }, { "elf", CELLVM_KERNEL_ELF },
		{ "raw", CELLVM_KERNEL_RAW },
	};
	size_t i;

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (strcmp(arg, formats[i].name) == 0) {
			c->cfg.kernel_format = formats[i].fmt;
			return 0;
		}
	}
	return usage_error("--kernel-format %s: expected auto, image, gzip, elf or raw", arg);
}

static int parse_enum_opt(struct cli *c, int opt, const char *arg)
{
	if (opt == OPT_KERNEL_FORMAT)
		return parse_kernel_format(c, arg);
	if (opt == OPT_IRQCHIP) {
		if (strcmp(arg, "auto") == 0)
			c->cfg.irqchip = CELLVM_IRQCHIP_AUTO;
		else if (strcmp(arg, "kernel") == 0)
			c->cfg.irqchip = CELLVM_IRQCHIP_KERNEL;
		else if (strcmp(arg, "user") == 0)
			c->cfg.irqchip = CELLVM_IRQCHIP_USER;
		else
			return usage_error("--irqchip %s: expected auto, kernel or user", arg);
		return 0;
	}
	if (strcmp(arg, "pl011") == 0)
		c->cfg.console = CELLVM_CONSOLE_PL011;
	else if (strcmp(arg, "virtio") == 0)
		c->cfg.console = CELLVM_CONSOLE_VIRTIO;
	else
		return usage_error("--console %s: expected pl011 or virtio", arg);
	return 0;
}

/* A new entry at the end of the device list; the machine map bounds
 * how many the VM takes. */
static struct cellvm_dev_cfg *add_device(struct cli *c,
					 enum cellvm_dev_type type)
{
	struct cellvm_dev_cfg *d;

	d = realloc(c->devs, (c->nr_devs + 1) * sizeof(*d));
	if (!d) {
		fprintf(stderr, "cellvm: out of memory\n");
		exit(CLI_RUNTIME);
	}
	c->devs = d;
	d = &c->devs[c->nr_devs++];
	memset(d, 0, sizeof(*d));
	d->type = type;
	c->cfg.devs = c->devs;
	c->cfg.nr_devs = c->nr_devs;
	return d;
}

static int parse_device_opt(struct cli *c, int opt, char *arg)
{
	struct cellvm_dev_cfg *d;
	char shown[128];

	if (opt == OPT_RNG) {
		if (!c->rng)
			add_device(c, CELLVM_DEV_VIRTIO_RNG);
		c->rng = true;
		return 0;
	}
	/* The parsers cut their argument in place: keep it for messages. */
	snprintf(shown, sizeof(shown), "%s", arg);
	if (opt == OPT_VSOCK) {
		if (c->vsock)
			return usage_error("--vsock %s: only one vsock device", shown);
		c->vsock = true;
		d = add_device(c, CELLVM_DEV_VIRTIO_VSOCK);
		switch (cellvm_parse_vsock(arg, &d->vsock)) {
		case 0:
			return 0;
		case -ERANGE:
			return usage_error("--vsock %s: the guest CID must be from 3 to 4294967294", shown);
		default:
			return usage_error("--vsock %s: expected cid=N,uds=PATH", shown);
		}
	}
	if (opt == OPT_DISK) {
		d = add_device(c, CELLVM_DEV_VIRTIO_BLK);
		if (cellvm_parse_disk(arg, &d->blk))
			return usage_error("--disk %s: expected PATH[,ro]", shown);
		return 0;
	}
	d = add_device(c, CELLVM_DEV_VIRTIO_NET);
	if (cellvm_parse_net(arg, &d->net))
		return usage_error("--net %s: expected tap=IFNAME[,mac=XX:XX:XX:XX:XX:XX]", shown);
	return 0;
}

static int parse_jail_opt(struct jail_cfg *j, int opt, const char *arg)
{
	switch (opt) {
	case OPT_JAIL: j->on = true; return 0;
	case OPT_JAIL_ROOT: j->root = arg; return 0;
	case OPT_JAIL_PROBE: j->probe = true; return 0;
	case OPT_UID:
		if (jail_parse_id(arg, &j->uid))
			return usage_error("--uid %s: expected a number from 0 to 4294967294", arg);
		j->has_uid = true;
		return 0;
	default:
		if (jail_parse_id(arg, &j->gid))
			return usage_error("--gid %s: expected a number from 0 to 4294967294", arg);
		j->has_gid = true;
		return 0;
	}
}

static int parse_opt(struct cli *c, int opt, char *arg)
{
	unsigned n;

	switch (opt) {
	case OPT_KERNEL: c->cfg.kernel.path = arg; return 0;
	case OPT_INITRD: c->cfg.initrd.path = arg; return 0;
	case OPT_DTB: c->cfg.dtb.path = arg; return 0;
	case OPT_CMDLINE: c->cfg.cmdline = arg; return 0;
	case OPT_NO_REBOOT: c->no_reboot = true; return 0;
	case OPT_NO_ZERO_COPY: c->cfg.zero_copy = false; return 0;
	case OPT_NO_SECCOMP: c->no_seccomp = true; return 0;
	case OPT_DUMP_DTB: c->cfg.dump_dtb = arg; return 0;
	case OPT_API_SOCK: c->api.sock = arg; return 0;
	case OPT_CONFIG_FILE: c->api.config_file = arg; return 0;
	case OPT_MEM:
		if (cellvm_parse_size(arg, &c->cfg.mem_size))
			return usage_error("--mem %s: expected a size such as 256M or 1G", arg);
		return 0;
	case OPT_SHUTDOWN_TIMEOUT:
		if (cellvm_parse_uint(arg, 0, CLI_SHUTDOWN_TIMEOUT_MAX, &n))
			return usage_error("--shutdown-timeout %s: expected whole seconds from 0 to %u",
					   arg, CLI_SHUTDOWN_TIMEOUT_MAX);
		sigs.timeout_s = n;
		return 0;
	case OPT_CPUS:
		if (cellvm_parse_uint(arg, 1, CELLVM_MAX_VCPUS, &n))
			return usage_error("--cpus %s: expected a number from 1 to %u",
					   arg, CELLVM_MAX_VCPUS);
		c->cfg.ncpus = n;
		return 0;
	case OPT_IRQCHIP:
	case OPT_CONSOLE:
	case OPT_KERNEL_FORMAT:
		return parse_enum_opt(c, opt, arg);
	case OPT_CPU_FEATURES:
		if (arm64_parse_cpu_features(arg, &c->cfg.cpu_features,
					     &c->cfg.cpu_features_host))
			return usage_error("--cpu-features %s: expected none, host, or a list of pmu, sve and pauth", arg);
		return 0;
	case OPT_DISK:
	case OPT_NET:
	case OPT_RNG:
	case OPT_VSOCK:
		return parse_device_opt(c, opt, arg);
	case OPT_JAIL:
	case OPT_JAIL_ROOT:
	case OPT_UID:
	case OPT_GID:
	case OPT_JAIL_PROBE:
		return parse_jail_opt(&c->jail, opt, arg);
	case OPT_BOOT_TIMING:
		if (!arg || strcmp(arg, "text") == 0)
			c->boot_timing = 1;
		else if (strcmp(arg, "json") == 0)
			c->boot_timing = 2;
		else
			return usage_error("--boot-timing=%s: expected text or json", arg);
		return 0;
	case 'v':
		if (c->cfg.log.level < CELLVM_LOG_DEBUG)
			c->cfg.log.level++;
		return 0;
	case 'h':
		usage(stdout);
		exit(CLI_OK);
	case OPT_VERSION:
		printf("cellvm %s\n", CELLVM_VERSION);
		exit(CLI_OK);
	default:
		return CLI_USAGE; /* getopt printed the problem */
	}
}

static int parse_args(struct cli *c, int argc, char **argv)
{
	const char *why;
	int opt, ret;

	opterr = 1;
	while ((opt = getopt_long(argc, argv, "vh", options, NULL)) != -1) {
		ret = parse_opt(c, opt, optarg);
		if (ret)
			return ret;
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	why = jail_check(&c->jail, c->cfg.dump_dtb != NULL);
	if (why)
		return usage_error("%s", why);
	return 0;
}

/* Without --kernel, boot the embedded guest (kernel and initramfs). */
static int use_embedded(struct cli *c)
{
	struct embedded_image k = embedded_kernel(), i = embedded_initrd();

	if (c->cfg.kernel.path)
		return 0;
	if (c->cfg.kernel_format != CELLVM_KERNEL_AUTO) {
		/* The embedded kernel is an Image: a format is for --kernel. */
		fprintf(stderr, "cellvm: --kernel-format needs --kernel (see cellvm --help)\n");
		return CLI_USAGE;
	}
	if (!k.size) {
		fprintf(stderr, "cellvm: this build has no embedded guest; give --kernel\n");
		return CLI_USAGE;
	}
	/* Mappable from our own file where the offset is known, and only
	 * while the kernel keeps that file from being written or truncated
	 * (ETXTBSY): else a rebuild of cellvm would show in guest RAM. */
	c->cfg.kernel.path = k.file_offset >= 0 ? "/proc/self/exe" : NULL;
	c->cfg.kernel.data = k.data;
	c->cfg.kernel.size = k.size;
	c->cfg.kernel.file_offset = k.file_offset;
	c->cfg.kernel.immutable = c->cfg.kernel.path &&
				  loader_write_denied(c->cfg.kernel.path);
	if (!c->cfg.initrd.path && i.size) {
		c->cfg.initrd.path = i.file_offset >= 0 ? "/proc/self/exe" : NULL;
		c->cfg.initrd.data = i.data;
		c->cfg.initrd.size = i.size;
		c->cfg.initrd.file_offset = i.file_offset;
		c->cfg.initrd.immutable = c->cfg.kernel.immutable &&
					  c->cfg.initrd.path;
	}
	return 0;
}

/* The option that sets a struct cellvm_config member, for messages. */
static const char *option_of(const char *field)
{
	static const struct {
		const char *field, *option;
	} map[] = {
		{ "ncpus", "--cpus" },       { "mem_size", "--mem" },
		{ "irqchip", "--irqchip" },  { "dump_dtb", "--dump-dtb" },
		{ "devs", "--disk/--net/--rng/--vsock" },
		{ "cpu_features", "--cpu-features" },
		{ "kernel_format", "--kernel-format" },
	};
	size_t i;

	for (i = 0; field && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(field, map[i].field) == 0)
			return map[i].option;
	return NULL;
}

/* One line: the library's message, after the option it concerns. */
static void print_err(const struct cellvm_err *err, int ret)
{
	const char *opt = option_of(err->field);

	if (opt)
		fprintf(stderr, "cellvm: %s: %s\n", opt, err->msg);
	else
		fprintf(stderr, "cellvm: %s\n",
			err->msg[0] ? err->msg : strerror(-ret));
}

static int status_of_err(const struct cellvm_err *err)
{
	switch (err->cat) {
	case CELLVM_E_USAGE: return CLI_USAGE;
	case CELLVM_E_IMAGE: return CLI_IMAGE;
	case CELLVM_E_HOST: return CLI_HOST;
	case CELLVM_E_IO: return CLI_IO;
	case CELLVM_E_STOPPED: return CLI_QUIT;
	default: return CLI_RUNTIME;
	}
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void print_timing(const struct cli *c, const struct cellvm_vm *vm)
{
	static const char *const names[CELLVM_MARK_NR] = {
		[CELLVM_MARK_VM_CREATED] = "vm_created",
		[CELLVM_MARK_IMAGES_LOADED] = "images_loaded",
		[CELLVM_MARK_FIRST_RUN] = "first_run",
		[CELLVM_MARK_FIRST_CONSOLE_BYTE] = "first_console_byte",
		[CELLVM_MARK_INIT] = "init",
	};
	unsigned m;

	if (c->boot_timing == 2)
		fprintf(stderr, "{\"process_start_us\": 0");
	else
		fprintf(stderr, "cellvm boot timing (us since process start):\r\n  process_start 0\r\n");
	for (m = 0; m < CELLVM_MARK_NR; m++) {
		uint64_t t = cellvm_vm_mark(vm, m);
		long long us = t ? (long long)((t - c->start_ns) / 1000) : -1;

		if (c->boot_timing == 2)
			fprintf(stderr, ", \"%s_us\": %lld", names[m], us);
		else if (t)
			fprintf(stderr, "  %s %lld\r\n", names[m], us);
		else
			fprintf(stderr, "  %s not reached\r\n", names[m]);
	}
	if (c->boot_timing == 2)
		fprintf(stderr, "}\n");
}

static int status_of_stop(enum cellvm_stop why)
{
	switch (why) {
	case CELLVM_STOP_POWEROFF: return CLI_OK;
	case CELLVM_STOP_RESET: return CLI_RESET;
	case CELLVM_STOP_CRASH: return CLI_CRASH;
	case CELLVM_STOP_QUIT: return CLI_QUIT;
	default: return CLI_RUNTIME;
	}
}

/*
 * Every thread cellvm runs installs its kind's system call filter at the
 * end of its set-up (src/cli/seccomp.c); --no-seccomp turns that off.
 */
static int seccomp_setup(struct cli *c)
{
	int ret;

	if (c->no_seccomp) {
		fprintf(stderr, "cellvm: warning: --no-seccomp: the threads run without system call filters\n");
		return 0;
	}
	ret = sandbox_init(&c->sandbox, c->cfg.hv->ioctls);
	if (ret) {
		fprintf(stderr, "cellvm: cannot build the seccomp filters: %s (--no-seccomp runs without)\n",
			strerror(-ret));
		return CLI_HOST;
	}
	c->cfg.thread_enter = sandbox_enter;
	c->cfg.thread_ctx = &c->sandbox;
	return 0;
}

/* One boot of the guest; *why says how it ended. */
static int boot_once(struct cli *c, enum cellvm_stop *why)
{
	struct cellvm_err err = { 0 };
	struct cellvm_vm *vm = c->api.first;
	int ret = 0;

	c->api.first = NULL;
	if (!vm)
		ret = cellvm_vm_create(&c->cfg, &vm, &err);
	if (ret == -ECANCELED && err.cat == CELLVM_E_STOPPED) {
		*why = CELLVM_STOP_QUIT;
		return CLI_QUIT; /* as quiet as a stop while running */
	}
	if (ret) {
		print_err(&err, ret);
		return status_of_err(&err);
	}
	if (c->cfg.dump_dtb) {
		/* The tree is written; nothing is to run. */
		cellvm_vm_destroy(vm);
		*why = CELLVM_STOP_POWEROFF;
		return CLI_OK;
	}
	c->api.ctl.vm = vm; /* what the API's runtime calls act on */
	ret = cellvm_vm_run(vm, why, &err);
	c->api.ctl.vm = NULL;
	if (c->boot_timing)
		print_timing(c, vm);
	/* The guest's clock setting survives its reboot (PL031). */
	c->cfg.rtc_offset_ns = cellvm_vm_rtc_offset(vm);
	cellvm_vm_destroy(vm);
	if (ret) {
		term_restore();
		print_err(&err, ret);
		return status_of_err(&err);
	}
	return status_of_stop(*why);
}

/* Remember fd to keep open in the jail and return it; a negative fd (a
 * failed open) is returned as it is, a full list gives -ENOMEM (errno). */
static int keep_fd(struct cli *c, int fd)
{
	int *k;

	if (fd < 0)
		return fd;
	k = realloc(c->keep, (c->nr_keep + 1) * sizeof(*k));
	if (!k) {
		close(fd);
		errno = ENOMEM;
		return -ENOMEM;
	}
	c->keep = k;
	c->keep[c->nr_keep++] = fd;
	return fd;
}

/* Open an image for the jail; O_NONBLOCK so a FIFO cannot block us. */
static int jail_open_image(struct cli *c, struct cellvm_image *img,
			   const char *what)
{
	int fd;

	if (!img->path)
		return 0;
	fd = keep_fd(c, open(img->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC));
	if (fd < 0) {
		fprintf(stderr, "cellvm: %s %s: %s\n", what, img->path,
			strerror(errno));
		return CLI_IMAGE;
	}
	img->has_fd = true;
	img->fd = fd;
	return 0;
}

/* Open a disk, attach a TAP or bind the vsock listener for every VM of
 * this run (see main). */
static int open_dev(struct cli *c, struct cellvm_dev_cfg *d)
{
	struct cellvm_err err = { 0 };
	int fd;

	if (d->type == CELLVM_DEV_VIRTIO_BLK) {
		fd = open(d->blk.path, (d->blk.readonly ? O_RDONLY : O_RDWR) |
				       O_NONBLOCK | O_CLOEXEC);
		if (keep_fd(c, fd) < 0) {
			fprintf(stderr, "cellvm: disk %s: %s\n", d->blk.path,
				strerror(errno));
			return CLI_IO;
		}
		d->blk.has_fd = true;
		d->blk.fd = fd;
	} else if (d->type == CELLVM_DEV_VIRTIO_NET) {
		fd = keep_fd(c, virtio_net_tap_open(d->net.tap, &err));
		if (fd < 0) {
			print_err(&err, fd);
			return status_of_err(&err);
		}
		d->net.has_fd = true;
		d->net.fd = fd;
	} else if (d->type == CELLVM_DEV_VIRTIO_VSOCK) {
		fd = keep_fd(c, virtio_vsock_listen(d->vsock.uds_path, &err));
		if (fd < 0) {
			print_err(&err, fd);
			return status_of_err(&err);
		}
		d->vsock.has_fd = true;
		d->vsock.fd = fd;
	}
	return 0;
}

/*
 * --jail: open everything a VM (and each re-created VM after a guest
 * reboot) needs, then confine the process. The one place the jail is
 * entered: before any thread exists and before any seccomp filter.
 */
static int jail_setup(struct cli *c)
{
	struct jail_need need = {
		.mem_size = c->cfg.mem_size,
		.thread_stack = CELLVM_THREAD_STACK,
		.ncpus = c->cfg.ncpus,
		/* The listed devices and a virtio console's worker; with
		 * --api-sock two more, whose 16 fds are the API's clients:
		 * 8 served, 8 being refused (src/api/server.c). */
		.ndevs = c->nr_devs + 1 + (c->api.srv ? 2 : 0),
		/* vsock: each connection's socket, the epoll fd, and the
		 * one a guest connection is being opened on. */
		.extra_fds = c->vsock ? VIRTIO_VSOCK_MAX_CONNS + 2 : 0,
	};
	const char *step;
	int ret;

	int api_fds[4];
	unsigned i, n = c->api.srv ? api_server_fds(c->api.srv, api_fds) : 0;

	/* The stop timer and power-off pipe: signals must still reach the
	 * VMs in the jail. */
	if (keep_fd(c, sigs.stop_timer) < 0 ||
	    keep_fd(c, sigs.poweroff_pipe[0]) < 0 ||
	    keep_fd(c, sigs.poweroff_pipe[1]) < 0) {
		fprintf(stderr, "cellvm: --jail: %s\n", strerror(errno));
		return CLI_HOST;
	}
	/* The API's socket, epoll set, timer and directory (no client
	 * can have come yet), and a metrics file of --config-file. */
	for (i = 0; i < n; i++)
		if (api_fds[i] >= 0 && keep_fd(c, api_fds[i]) < 0)
			return CLI_HOST; /* out of memory: we exit at once */
	if (c->api.ctl.metrics_fd >= 0 && keep_fd(c, c->api.ctl.metrics_fd) < 0)
		return CLI_HOST;
	c->cfg.hv_fd = keep_fd(c, open("/dev/kvm", O_RDWR | O_CLOEXEC));
	if (c->cfg.hv_fd < 0) {
		fprintf(stderr, "cellvm: cannot open /dev/kvm: %s\n",
			strerror(errno));
		return CLI_HOST;
	}
	ret = jail_open_image(c, &c->cfg.kernel, "kernel");
	if (!ret)
		ret = jail_open_image(c, &c->cfg.initrd, "initrd");
	if (!ret)
		ret = jail_open_image(c, &c->cfg.dtb, "DTB");
	if (ret)
		return ret;
	ret = jail_enter(&c->jail, c->keep, c->nr_keep, &need, &step);
	if (ret) {
		fprintf(stderr, "cellvm: --jail: %s: %s\n", step,
			strerror(-ret));
		return CLI_HOST;
	}
	if (c->jail.probe)
		jail_probe();
	return 0;
}

/*
 * --config-file and --api-sock, after the options: the file gives the
 * machine (its devices are opened as --disk's are); the socket is bound
 * before any jail. *wait: no --kernel, so InstanceStart is awaited.
 */
static int api_setup(struct cli *c, bool *wait)
{
	int ret;

	*wait = false;
	api_ctl_init(&c->api.ctl);
	if (c->api.config_file) {
		if (c->cfg.kernel.path || c->nr_devs)
			return usage_error("--config-file gives the machine: drop --kernel, --disk, --net, --rng and --vsock");
		ret = cli_api_config_file(&c->api, &c->cfg);
		if (ret)
			return ret;
		c->devs = c->api.devs;
		c->nr_devs = c->api.nr_devs;
	}
	if (!c->api.sock)
		return 0;
	*wait = !c->cfg.kernel.path;
	if (*wait && c->nr_devs)
		return usage_error("--disk, --net, --rng and --vsock need --kernel with --api-sock (without it, the machine is configured over the API)");
	if (*wait && c->jail.on)
		return usage_error("--api-sock without --kernel or --config-file cannot be used with --jail: the images must be opened before jailing");
	if (*wait && c->cfg.dump_dtb)
		return usage_error("--dump-dtb needs --kernel or --config-file with --api-sock");
	ret = cli_api_listen(&c->api, &c->cfg, CELLVM_VERSION);
	if (ret)
		return ret;
	if (!*wait) {
		c->api.ctl.state = API_RUNNING;
		if (!c->api.config_file &&
		    api_vmcfg_from_config(&c->api.ctl.cfg, &c->cfg)) {
			fprintf(stderr, "cellvm: out of memory\n");
			return CLI_RUNTIME;
		}
	}
	return 0;
}

/* Everything after the options, up to the last guest boot. */
static int run(struct cli *c)
{
	enum cellvm_stop why;
	bool wait;
	unsigned i;
	int ret;

	ret = api_setup(c, &wait);
	if (ret)
		return ret;
	if (!wait) {
		ret = use_embedded(c);
		if (ret)
			return ret;
	}
	/*
	 * Disks and TAPs are opened once, for every VM of this run: a guest
	 * reboot finds the same TAP with its host-side configuration, and a
	 * disk's lock (taken on this open file) is held from boot to boot.
	 * So is the vsock listener: host programs keep connecting to the
	 * same socket while the guest reboots (their connections close).
	 */
	for (i = 0; !c->cfg.dump_dtb && i < c->nr_devs; i++) {
		ret = open_dev(c, &c->devs[i]);
		if (ret)
			return ret;
	}
	ret = seccomp_setup(c);
	if (ret)
		return ret;
	if (c->jail.on) {
		ret = jail_setup(c);
		if (ret)
			return ret;
	}
	/* PATCH /drives changes these for the VMs after a reboot. */
	c->api.live_devs = c->devs;
	c->api.nr_live_devs = c->nr_devs;
	if (wait) {
		ret = cli_api_wait_start(&c->api, sigs.stop_timer,
					 sigs.poweroff_pipe[0]);
		if (ret)
			return ret;
	}
	term_raw(STDIN_FILENO);
	do {
		why = CELLVM_STOP_NONE;
		ret = boot_once(c, &why);
	} while (why == CELLVM_STOP_RESET && !c->no_reboot && ret == CLI_RESET);
	term_restore();
	return ret;
}

int main(int argc, char **argv)
{
	struct cli c;
	bool in_open;
	int ret;

	memset(&c, 0, sizeof(c));
	c.start_ns = mono_ns();
	in_open = std_fds_fill();
	/* First of all: a stop signal must never find the default action
	 * (they are held until the options are parsed). */
	ret = stop_signals_install();
	if (ret) {
		fprintf(stderr, "cellvm: stop signals: %s\n", strerror(-ret));
		return CLI_RUNTIME;
	}
	if (crash_report_install() < 0) {
		fprintf(stderr, "cellvm: crash signals: %s\n", strerror(errno));
		return CLI_RUNTIME;
	}
	cellvm_config_init(&c.cfg);
	c.cfg.hv = &cellvm_hv_kvm_ops;
	/* A closed stdin: the guest runs without console input. */
	c.cfg.console_in = in_open ? STDIN_FILENO : -1;
	c.cfg.console_out = STDOUT_FILENO;
	c.cfg.stop_fd = sigs.stop_timer;
	c.cfg.poweroff_fd = sigs.poweroff_pipe[0];
	c.cfg.console_hold = &c.hold;
	ret = parse_args(&c, argc, argv);
	/* --shutdown-timeout is known: signals held so far come now. */
	stop_signals_mask(SIG_UNBLOCK);
	if (ret)
		return ret;
	ret = run(&c);
	/* The API socket is removed on every way out. */
	cli_api_close(&c.api);
	/* Stopped from outside, even if the guest powered off in time. */
	if (ret == CLI_OK && atomic_load(&sigs.graceful))
		return CLI_QUIT;
	return ret;
}
