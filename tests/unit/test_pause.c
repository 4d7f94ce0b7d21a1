// SPDX-License-Identifier: MIT
/*
 * The library calls the control plane drives, on the scripted backend:
 * cellvm_vm_pause/resume (vCPUs held out of their run, device workers
 * stopped, everything continued exactly), cellvm_vm_counters (exits and
 * MMIO accesses per window match the script), and control_fd (a caller's
 * fd served by the VM's event loop thread).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "cellvm/cellvm.h"
#include "hv/test.h"
#include "arch/arm64/memmap.h"
#include "core/vm.h"

#define KERNEL_SIZE (1u << 20)
#define UART_DR (CELLVM_UART_BASE + 0x000)

struct fixture {
	uint8_t *kernel;
	int out[2];
	struct cellvm_config cfg;
	struct cellvm_dev_cfg rng;
	struct cellvm_vm *vm;
	pthread_t th;
	enum cellvm_stop why;
	int ret;
};

static void fixture_init(struct fixture *f, bool rng)
{
	struct cellvm_err err = { 0 };
	uint64_t image_size = KERNEL_SIZE, flags = 0xa;
	uint32_t magic = 0x644d5241;

	memset(f, 0, sizeof(*f));
	f->kernel = calloc(1, KERNEL_SIZE);
	memcpy(f->kernel + 16, &image_size, 8);
	memcpy(f->kernel + 24, &flags, 8);
	memcpy(f->kernel + 56, &magic, 4);
	assert_int_equal(pipe2(f->out, O_NONBLOCK), 0);
	cellvm_config_init(&f->cfg);
	f->cfg.hv = &cellvm_hv_test_ops;
	f->cfg.mem_size = 64ULL << 20;
	f->cfg.kernel.data = f->kernel;
	f->cfg.kernel.size = KERNEL_SIZE;
	f->cfg.console_out = f->out[1];
	f->cfg.log.level = CELLVM_LOG_ERROR;
	if (rng) {
		f->rng.type = CELLVM_DEV_VIRTIO_RNG;
		f->cfg.devs = &f->rng;
		f->cfg.nr_devs = 1;
	}
	if (cellvm_vm_create(&f->cfg, &f->vm, &err))
		fail_msg("cellvm_vm_create: %s", err.msg);
}

static void *run_thread(void *arg)
{
	struct fixture *f = arg;
	struct cellvm_err err = { 0 };

	f->ret = cellvm_vm_run(f->vm, &f->why, &err);
	return NULL;
}

static void fixture_start(struct fixture *f)
{
	assert_int_equal(pthread_create(&f->th, NULL, run_thread, f), 0);
}

static void fixture_fini(struct fixture *f)
{
	pthread_join(f->th, NULL);
	cellvm_vm_destroy(f->vm);
	close(f->out[0]);
	close(f->out[1]);
	free(f->kernel);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Wait (at most 2 s) until vCPU 0 blocks in its scripted guest. */
static void wait_blocked(struct fixture *f)
{
	unsigned i;

	for (i = 0; i < 2000 && !cellvm_hv_test_blocked(f->vm->hv, 0); i++)
		sleep_ms(1);
	assert_true(cellvm_hv_test_blocked(f->vm->hv, 0));
}

static unsigned thread_count(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	unsigned n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static struct cellvm_exit block_step(void)
{
	struct cellvm_exit e = { .reason = CELLVM_EXIT_KICK };

	e.unknown.code = CELLVM_HV_TEST_BLOCK;
	return e;
}

static struct cellvm_exit uart_write(char c)
{
	struct cellvm_exit e = { .reason = CELLVM_EXIT_MMIO };

	e.mmio.addr = UART_DR;
	e.mmio.len = 1;
	e.mmio.is_write = true;
	e.mmio.data = (uint64_t)c;
	return e;
}

/*
 * A paused vCPU makes no run (steps_run stays), the device worker is gone
 * while paused, a second pause and a resume of a running VM are refused,
 * and after resume the script continues with the next step.
 */
static void test_pause_resume(void **state)
{
	struct cellvm_exit script[] = { uart_write('a'), block_step(),
					uart_write('b'), block_step(),
					uart_write('c') };
	const struct cellvm_hv_test_vcpu_log *l;
	struct cellvm_err err = { 0 };
	struct fixture f;
	unsigned before, steps, threads_running;
	char buf[8] = { 0 };

	fixture_init(&f, true);
	assert_int_equal(cellvm_hv_test_script(f.vm->hv, 0, script, 5), 0);
	l = cellvm_hv_test_log(f.vm->hv, 0);
	assert_int_equal(cellvm_vm_resume(f.vm, &err), -EBUSY);
	fixture_start(&f);
	wait_blocked(&f);
	threads_running = thread_count();
	assert_false(cellvm_vm_paused(f.vm));

	assert_int_equal(cellvm_vm_pause(f.vm, &err), 0);
	assert_true(cellvm_vm_paused(f.vm));
	steps = l->steps_run;
	assert_int_equal(steps, 2); /* 'a', then the block the kick ended */
	/* The rng worker was joined: one thread fewer. */
	assert_int_equal(thread_count(), threads_running - 1);
	sleep_ms(200);
	assert_int_equal(l->steps_run, steps);
	assert_int_equal(read(f.out[0], buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], 'a');
	cellvm_err_clear(&err);
	assert_int_equal(cellvm_vm_pause(f.vm, &err), -EBUSY);
	assert_non_null(strstr(err.msg, "already paused"));

	before = l->steps_run;
	assert_int_equal(cellvm_vm_resume(f.vm, &err), 0);
	assert_false(cellvm_vm_paused(f.vm));
	wait_blocked(&f);
	assert_true(l->steps_run > before);
	assert_int_equal(thread_count(), threads_running);
	assert_int_equal(read(f.out[0], buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], 'b');
	assert_int_equal(cellvm_vm_resume(f.vm, &err), -EBUSY);

	/* A stop while paused ends the run (the held vCPU is released). */
	assert_int_equal(cellvm_vm_pause(f.vm, &err), 0);
	cellvm_vm_request_stop(f.vm, CELLVM_STOP_QUIT);
	pthread_join(f.th, NULL);
	assert_int_equal(f.why, CELLVM_STOP_QUIT);
	assert_int_equal(f.ret, 0);
	assert_int_equal(cellvm_vm_pause(f.vm, &err), -ESRCH);
	f.th = pthread_self();
	cellvm_vm_destroy(f.vm);
	close(f.out[0]);
	close(f.out[1]);
	free(f.kernel);
}

/* Two vCPUs: both are held before cellvm_vm_pause returns. */
static void test_pause_two_vcpus(void **state)
{
	struct cellvm_exit script[] = { block_step(), uart_write('x') };
	struct cellvm_err err = { 0 };
	struct fixture f;
	unsigned s0, s1;

	fixture_init(&f, false);
	cellvm_vm_destroy(f.vm);
	f.cfg.ncpus = 2;
	assert_int_equal(cellvm_vm_create(&f.cfg, &f.vm, &err), 0);
	assert_int_equal(cellvm_hv_test_script(f.vm->hv, 0, script, 2), 0);
	assert_int_equal(cellvm_hv_test_script(f.vm->hv, 1, script, 1), 0);
	fixture_start(&f);
	wait_blocked(&f);
	assert_int_equal(cellvm_vm_pause(f.vm, &err), 0);
	s0 = cellvm_hv_test_log(f.vm->hv, 0)->steps_run;
	s1 = cellvm_hv_test_log(f.vm->hv, 1)->steps_run;
	sleep_ms(100);
	assert_int_equal(cellvm_hv_test_log(f.vm->hv, 0)->steps_run, s0);
	assert_int_equal(cellvm_hv_test_log(f.vm->hv, 1)->steps_run, s1);
	assert_int_equal(cellvm_vm_resume(f.vm, &err), 0);
	fixture_fini(&f);
	assert_int_equal(f.why, CELLVM_STOP_POWEROFF);
}

/* Counters: N UART writes are N MMIO exits and N writes to the pl011. */
static void test_counters(void **state)
{
	struct cellvm_exit script[7];
	struct cellvm_vcpu_counters vc[2];
	struct cellvm_dev_counters dc[64];
	unsigned nv = 0, nd = 0, i;
	struct cellvm_vm_totals tot;
	bool found = false;
	struct fixture f;

	for (i = 0; i < 7; i++)
		script[i] = uart_write('0' + (char)i);
	fixture_init(&f, false);
	assert_int_equal(cellvm_hv_test_script(f.vm->hv, 0, script, 7), 0);
	fixture_start(&f);
	pthread_join(f.th, NULL);
	f.th = pthread_self();
	cellvm_vm_counters(f.vm, vc, 2, &nv, dc, 64, &nd, &tot);
	assert_int_equal(nv, 1);
	assert_int_equal(vc[0].exits_mmio, 7);
	assert_int_equal(vc[0].exits, 8); /* and the closing SHUTDOWN */
	assert_int_equal(vc[0].exits_other, 1);
	assert_true(nd > 1 && nd <= 64);
	for (i = 0; i < nd; i++) {
		if (strcmp(dc[i].name, "pl011") != 0)
			continue;
		found = true;
		assert_int_equal(dc[i].writes, 7);
		assert_int_equal(dc[i].reads, 0);
		assert_int_equal(dc[i].base, CELLVM_UART_BASE);
		assert_int_equal(dc[i].nr_queues, 0);
	}
	assert_true(found);
	assert_true(tot.uptime_ns > 0);
	/* The seven bytes reached the console's output. */
	assert_int_equal(tot.console_out_bytes, 7);
	assert_int_equal(tot.console_in_bytes, 0);
	cellvm_vm_destroy(f.vm);
	close(f.out[0]);
	close(f.out[1]);
	free(f.kernel);
}

/* A file of `size` bytes, its path in buf. */
static void make_disk(char *buf, size_t size)
{
	int fd;

	strcpy(buf, "/tmp/cellvm-disk-XXXXXX");
	fd = mkstemp(buf);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	close(fd);
}

/* The guest's view of disk 0: capacity (sectors) and ConfigGeneration. */
static uint64_t disk_capacity(struct cellvm_vm *vm, uint64_t *gen)
{
	uint64_t base = CELLVM_VIRTIO_MMIO_BASE, lo = 0, hi = 0;

	/* virtio 1.2 4.2.2: ConfigGeneration 0x0fc, config space 0x100. */
	assert_int_equal(cellvm_bus_access(&vm->bus, 0, base + 0xfc, 4, false, gen), 0);
	assert_int_equal(cellvm_bus_access(&vm->bus, 0, base + 0x100, 4, false, &lo), 0);
	assert_int_equal(cellvm_bus_access(&vm->bus, 0, base + 0x104, 4, false, &hi), 0);
	return lo | hi << 32;
}

/* cellvm_vm_disk_replace: a new file's size is the guest's capacity,
 * with a new ConfigGeneration; the same path rescans; a failure keeps
 * the old file; only existing disks. */
static void test_disk_replace(void **state)
{
	char a[64], b[64];
	struct cellvm_dev_cfg disk = { .type = CELLVM_DEV_VIRTIO_BLK };
	struct cellvm_err err = { 0 };
	struct fixture f;
	uint64_t g0, g1, g2;

	make_disk(a, 4096);
	make_disk(b, 1 << 20);
	fixture_init(&f, false);
	cellvm_vm_destroy(f.vm);
	disk.blk.path = a;
	f.cfg.devs = &disk;
	f.cfg.nr_devs = 1;
	assert_int_equal(cellvm_vm_create(&f.cfg, &f.vm, &err), 0);
	assert_int_equal(disk_capacity(f.vm, &g0), 8);

	assert_int_equal(cellvm_vm_disk_replace(f.vm, 0, b, &err), 0);
	assert_int_equal(disk_capacity(f.vm, &g1), 2048);
	assert_int_not_equal(g1, g0);

	/* The same file grown by the host: a rescan (its lock is ours). */
	assert_int_equal(truncate(b, 2 << 20), 0);
	assert_int_equal(cellvm_vm_disk_replace(f.vm, 0, b, &err), 0);
	assert_int_equal(disk_capacity(f.vm, &g2), 4096);
	assert_int_not_equal(g2, g1);

	cellvm_err_clear(&err);
	assert_int_equal(cellvm_vm_disk_replace(f.vm, 0, "/nonexistent/disk", &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/disk"));
	assert_int_equal(disk_capacity(f.vm, &g1), 4096);
	assert_int_equal(g1, g2);
	cellvm_err_clear(&err);
	assert_int_equal(cellvm_vm_disk_replace(f.vm, 1, b, &err), -ENODEV);
	assert_non_null(strstr(err.msg, "the VM has 1 disks"));

	cellvm_vm_destroy(f.vm);
	close(f.out[0]);
	close(f.out[1]);
	free(f.kernel);
	unlink(a);
	unlink(b);
}

struct control {
	int fds[2];
	pthread_t thread;
	unsigned calls;
	struct cellvm_vm *vm;
};

static void on_control(void *ctx)
{
	struct control *c = ctx;
	char b;

	c->thread = pthread_self();
	c->calls++;
	assert_int_equal(read(c->fds[0], &b, 1), 1);
	cellvm_vm_request_stop(c->vm, CELLVM_STOP_QUIT);
}

/* control_fd's handler runs on the thread in cellvm_vm_run(). */
static void test_control_fd(void **state)
{
	struct cellvm_exit script[] = { block_step(), block_step() };
	struct cellvm_err err = { 0 };
	struct control c = { .calls = 0 };
	struct fixture f;

	fixture_init(&f, false);
	cellvm_vm_destroy(f.vm);
	assert_int_equal(pipe2(c.fds, O_NONBLOCK), 0);
	f.cfg.control_fd = c.fds[0];
	assert_int_equal(cellvm_vm_create(&f.cfg, &f.vm, &err), -EINVAL);
	assert_string_equal(err.field, "control_ready");
	f.cfg.control_ready = on_control;
	f.cfg.control_ctx = &c;
	assert_int_equal(cellvm_vm_create(&f.cfg, &f.vm, &err), 0);
	c.vm = f.vm;
	assert_int_equal(cellvm_hv_test_script(f.vm->hv, 0, script, 2), 0);
	fixture_start(&f);
	wait_blocked(&f);
	assert_int_equal(write(c.fds[1], "x", 1), 1);
	fixture_fini(&f);
	assert_int_equal(c.calls, 1);
	assert_true(pthread_equal(c.thread, f.th));
	assert_int_equal(f.why, CELLVM_STOP_QUIT);
	close(c.fds[0]);
	close(c.fds[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pause_resume),
		cmocka_unit_test(test_pause_two_vcpus),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_control_fd),
		cmocka_unit_test(test_disk_replace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
