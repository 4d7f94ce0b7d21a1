// SPDX-License-Identifier: MIT
/*
 * pmucount: runs in a guest (tests/e2e/cpu_features.sh). Counts its own
 * CPU cycles with the PMU for about a second through perf_event_open(2),
 * sampling every PERIOD cycles so that the counter overflows and raises
 * the PMU interrupt many times, then prints "cycles N". Exit status 1
 * when the kernel offers no hardware counter (no PMU).
 */
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PERIOD 1000000 /* cycles between overflow interrupts */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	struct perf_event_attr a;
	volatile uint64_t spin = 0;
	uint64_t count = 0;
	double end;
	long fd;

	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_HARDWARE;
	a.size = sizeof(a);
	a.config = PERF_COUNT_HW_CPU_CYCLES;
	a.sample_period = PERIOD;
	a.disabled = 1;
	fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
	if (fd < 0) {
		perror("pmucount: perf_event_open(cycles)");
		return 1;
	}
	ioctl((int)fd, PERF_EVENT_IOC_ENABLE, 0);
	for (end = now() + 1.0; now() < end;)
		for (int i = 0; i < 100000; i++)
			spin++;
	ioctl((int)fd, PERF_EVENT_IOC_DISABLE, 0);
	if (read((int)fd, &count, sizeof(count)) != sizeof(count)) {
		perror("pmucount: read");
		return 1;
	}
	printf("cycles %llu\n", (unsigned long long)count);
	return count > 0 ? 0 : 1;
}
