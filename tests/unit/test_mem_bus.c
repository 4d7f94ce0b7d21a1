// SPDX-License-Identifier: MIT
/* Guest memory translation and the MMIO bus. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/bus.h"
#include "core/mem.h"

static uint8_t ram[4096];

static void test_mem_bounds(void **state)
{
	struct cellvm_mem m = { 0 };
	uint8_t b[8];

	assert_int_equal(cellvm_mem_add(&m, 0x1000, sizeof(ram), ram), 0);
	assert_ptr_equal(cellvm_mem_ptr(&m, 0x1000, 4096), ram);
	assert_ptr_equal(cellvm_mem_ptr(&m, 0x1fff, 1), ram + 4095);
	assert_null(cellvm_mem_ptr(&m, 0x1fff, 2));
	assert_null(cellvm_mem_ptr(&m, 0xfff, 1));
	assert_null(cellvm_mem_ptr(&m, 0x2000, 0));
	assert_null(cellvm_mem_ptr(&m, 0x1001, UINT64_MAX));
	assert_null(cellvm_mem_ptr(&m, UINT64_MAX, 2));
	assert_int_equal(cellvm_mem_read(&m, 0x1ffc, b, 8), -EFAULT);
	assert_int_equal(cellvm_mem_write(&m, 0x1ff8, "abcdefgh", 8), 0);
	assert_memory_equal(ram + 4088, "abcdefgh", 8);
}

static void test_mem_add_rejects(void **state)
{
	struct cellvm_mem m = { 0 };
	static uint8_t other[16];

	assert_int_equal(cellvm_mem_add(&m, 0x1000, sizeof(ram), ram), 0);
	assert_int_equal(cellvm_mem_add(&m, 0x1800, 16, other), -EINVAL);
	assert_int_equal(cellvm_mem_add(&m, 0x0ff8, 16, other), -EINVAL);
	assert_int_equal(cellvm_mem_add(&m, UINT64_MAX - 4, 16, other),
			 -EINVAL);
	assert_int_equal(cellvm_mem_add(&m, 0x3000, 0, other), -EINVAL);
	assert_int_equal(cellvm_mem_add(&m, 0x2000, 16, other), 0);
}

struct fake_dev {
	uint64_t last_off, last_addr, last_val;
	unsigned last_size, last_cpu, reads, writes;
};

static uint64_t fake_read(void *opaque, const struct cellvm_access_info *a)
{
	struct fake_dev *d = opaque;

	d->reads++;
	d->last_off = a->offset;
	d->last_addr = a->addr;
	d->last_cpu = a->cpu;
	d->last_size = a->size;
	return 0x1122334455667788ULL;
}

static void fake_write(void *opaque, const struct cellvm_access_info *a,
		       uint64_t val)
{
	struct fake_dev *d = opaque;

	d->writes++;
	d->last_off = a->offset;
	d->last_addr = a->addr;
	d->last_cpu = a->cpu;
	d->last_val = val;
	d->last_size = a->size;
}

static const struct cellvm_mmio_ops fake_ops = {
	.read = fake_read,
	.write = fake_write,
};

static void test_bus_routing(void **state)
{
	struct cellvm_bus bus = { 0 };
	struct fake_dev a = { 0 }, b = { 0 };
	uint64_t v;

	assert_int_equal(cellvm_bus_add(&bus, "b", 0x9000, 0x1000, &fake_ops, &b), 0);
	assert_int_equal(cellvm_bus_add(&bus, "a", 0x8000, 0x1000, &fake_ops, &a), 0);
	assert_int_equal(cellvm_bus_add(&bus, "x", 0x8800, 0x1000, &fake_ops, &a), -EINVAL);
	assert_int_equal(bus.dev[0].base, 0x8000);

	assert_int_equal(cellvm_bus_access(&bus, 3, 0x9010, 2, false, &v), 0);
	assert_int_equal(v, 0x7788);
	/* The device learns offset, address, size and the vCPU. */
	assert_int_equal(b.last_off, 0x10);
	assert_int_equal(b.last_addr, 0x9010);
	assert_int_equal(b.last_size, 2);
	assert_int_equal(b.last_cpu, 3);
	v = 0xab;
	assert_int_equal(cellvm_bus_access(&bus, 0, 0x8ffc, 4, true, &v), 0);
	assert_int_equal(a.last_off, 0xffc);
	assert_int_equal(a.last_val, 0xab);
	assert_int_equal(a.last_cpu, 0);
	/* Straddling the end of a window, or nothing there. */
	assert_int_equal(cellvm_bus_access(&bus, 0, 0x8ffe, 4, false, &v), -ENODEV);
	assert_int_equal(cellvm_bus_access(&bus, 0, 0xa000, 4, false, &v), -ENODEV);
	assert_int_equal(cellvm_bus_access(&bus, 0, 0x9000, 3, false, &v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mem_bounds),
		cmocka_unit_test(test_mem_add_rejects),
		cmocka_unit_test(test_bus_routing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
