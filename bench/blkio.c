// SPDX-License-Identifier: MIT
/*
 * blkio: block device throughput from inside a guest, the same program
 * under every VMM (busybox dd cannot do random offsets).
 *
 *   blkio DEVICE MODE BLOCK_BYTES TOTAL_KIB
 *
 * MODE is seqread, seqwrite, randread or randwrite. It moves TOTAL_KIB in
 * BLOCK_BYTES requests with O_DIRECT (so the guest's page cache is not
 * measured), sequentially from offset 0 or at random block-aligned
 * offsets (a fixed-seed LCG, the same sequence every run); writes end with
 * fdatasync(), inside the timing. Prints
 *
 *   blkio: mode=MODE bs=BLOCK_BYTES bytes=N us=T mib_s=X.XX
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
	uint64_t bs, total, blocks, i, off, t0, t, lcg = 12345;
	int fd, write_mode, rand_mode;
	off_t dev_size;
	void *buf;

	if (argc != 5) {
		fputs("usage: blkio DEVICE seqread|seqwrite|randread|randwrite BLOCK_BYTES TOTAL_KIB\n",
		      stderr);
		return 2;
	}
	write_mode = strstr(argv[2], "write") != NULL;
	rand_mode = strncmp(argv[2], "rand", 4) == 0;
	bs = strtoull(argv[3], NULL, 0);
	total = strtoull(argv[4], NULL, 0) * 1024;
	if (bs == 0 || bs % 512 || total < bs) {
		fputs("blkio: BLOCK_BYTES must be a multiple of 512, at most the total\n", stderr);
		return 2;
	}
	fd = open(argv[1], (write_mode ? O_RDWR : O_RDONLY) | O_DIRECT);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	dev_size = lseek(fd, 0, SEEK_END);
	blocks = dev_size > 0 ? (uint64_t)dev_size / bs : 0;
	if (blocks == 0 || (!rand_mode && total > (uint64_t)dev_size)) {
		fprintf(stderr, "blkio: %s is too small\n", argv[1]);
		return 1;
	}
	if (posix_memalign(&buf, 4096, bs))
		return 1;
	memset(buf, 0xa5, bs);
	t0 = now_us();
	for (i = 0; i < total / bs; i++) {
		ssize_t n;

		if (rand_mode) {
			lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
			off = ((lcg >> 16) % blocks) * bs;
		} else {
			off = i * bs;
		}
		n = write_mode ? pwrite(fd, buf, bs, (off_t)off)
			       : pread(fd, buf, bs, (off_t)off);
		if (n != (ssize_t)bs) {
			perror("blkio: I/O");
			return 1;
		}
	}
	if (write_mode && fdatasync(fd)) {
		perror("blkio: fdatasync");
		return 1;
	}
	t = now_us() - t0;
	printf("blkio: mode=%s bs=%llu bytes=%llu us=%llu mib_s=%.2f\n", argv[2],
	       (unsigned long long)bs, (unsigned long long)(total / bs * bs),
	       (unsigned long long)t,
	       t ? (double)(total / bs * bs) / (1 << 20) / ((double)t / 1e6) : 0.0);
	return 0;
}
