// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the command-line value parsers (src/core/parse.c,
 * and the CPU feature list of src/arch/arm64/cpu_features.c).
 * The input, NUL-terminated, goes to each parser. Invariants: a rejected
 * value leaves the outputs alone (--vsock's too; an accepted one has a
 * CID of 3..2^32-2 and a path); --cpu-features yields only known flags,
 * "host" exactly when *host is set, and re-parsing the accepted list's
 * canonical spelling gives the same flags.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arm64/arm64.h"
#include "cellvm/arm64.h"
#include "core/parse.h"

#define CHECK(cond)                                                       \
	do {                                                              \
		if (!(cond))                                              \
			__builtin_trap();                                 \
	} while (0)

#define MAX_INPUT 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The flags as a list the parser must take back: "pmu,sve,pauth" order. */
static void spell(unsigned flags, char *buf)
{
	static const char *const names[] = { "pmu", "sve", "pauth" };
	static const unsigned bits[] = { CELLVM_CPU_PMU, CELLVM_CPU_SVE,
					 CELLVM_CPU_PAUTH };
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < 3; i++) {
		if (!(flags & bits[i]))
			continue;
		if (buf[0])
			strcat(buf, ",");
		strcat(buf, names[i]);
	}
	if (!buf[0])
		strcpy(buf, "none");
}

static void fuzz_cpu_features(const char *s)
{
	unsigned f = 0xdead, f2 = 0;
	bool host = true, host2 = true;
	char canon[32];

	if (arm64_parse_cpu_features(s, &f, &host)) {
		CHECK(f == 0xdead && host);
		return;
	}
	CHECK((f & ~CELLVM_CPU_ALL) == 0);
	CHECK(host == (strcmp(s, "host") == 0));
	if (host)
		return;
	spell(f, canon);
	CHECK(arm64_parse_cpu_features(canon, &f2, &host2) == 0);
	CHECK(f2 == f && !host2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cellvm_disk_cfg disk;
	struct cellvm_net_cfg net;
	struct cellvm_vsock_cfg vsock;
	uint64_t bytes;
	uint8_t mac[6];
	unsigned n;
	char *s, *copy;

	if (size > MAX_INPUT)
		return 0;
	s = malloc(size + 1);
	copy = malloc(size + 1);
	if (!s || !copy)
		goto out;
	memcpy(s, data, size);
	s[size] = '\0';
	fuzz_cpu_features(s);
	(void)!cellvm_parse_size(s, &bytes);
	(void)!cellvm_parse_uint(s, 1, 512, &n);
	(void)!cellvm_parse_mac(s, mac);
	/* These two cut their argument in place. */
	memcpy(copy, s, size + 1);
	if (cellvm_parse_disk(copy, &disk) == 0)
		CHECK(disk.path && disk.path[0]);
	memcpy(copy, s, size + 1);
	if (cellvm_parse_net(copy, &net) == 0)
		CHECK(net.tap && strlen(net.tap) <= 15);
	memcpy(copy, s, size + 1);
	memset(&vsock, 0x5a, sizeof(vsock));
	if (cellvm_parse_vsock(copy, &vsock) == 0)
		CHECK(vsock.uds_path && vsock.uds_path[0] &&
		      !strchr(vsock.uds_path, ',') && vsock.guest_cid >= 3 &&
		      vsock.guest_cid < 0xffffffffull);
	else
		CHECK(vsock.guest_cid == 0x5a5a5a5a5a5a5a5aull);
out:
	free(s);
	free(copy);
	return 0;
}
