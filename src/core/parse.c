// SPDX-License-Identifier: MIT
/* Command-line value parsers: strict, so a typo is an error, not a guess. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"

static int parse_digits(const char *s, const char **end, uint64_t *out)
{
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*end = s;
	*out = v;
	return 0;
}

int cellvm_parse_size(const char *s, uint64_t *out)
{
	const char *end;
	uint64_t v;
	unsigned shift = 0;
	int ret;

	if (!s)
		return -EINVAL;
	ret = parse_digits(s, &end, &v);
	if (ret)
		return ret;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: break;
	}
	if (shift && strcmp(end, "iB") == 0)
		end += 2;
	else if (shift && strcmp(end, "B") == 0)
		end += 1;
	if (*end != '\0')
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}

int cellvm_parse_uint(const char *s, unsigned min, unsigned max,
		      unsigned *out)
{
	const char *end;
	uint64_t v;
	int ret;

	if (!s)
		return -EINVAL;
	ret = parse_digits(s, &end, &v);
	if (ret)
		return ret;
	if (*end != '\0')
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = (unsigned)v;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int cellvm_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned i;

	if (!s || strlen(s) != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		int hi = hexval(s[3 * i]), lo = hexval(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	/* A multicast address cannot be a NIC's own. */
	if (mac[0] & 1)
		return -EINVAL;
	return 0;
}

int cellvm_parse_disk(char *s, struct cellvm_disk_cfg *out)
{
	char *comma;

	if (!s || !*s)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	comma = strrchr(s, ',');
	if (comma && strcmp(comma, ",ro") == 0) {
		*comma = '\0';
		out->readonly = true;
	} else if (comma && strcmp(comma, ",rw") == 0) {
		*comma = '\0';
	}
	if (!*s)
		return -EINVAL;
	out->path = s;
	return 0;
}

int cellvm_parse_net(char *s, struct cellvm_net_cfg *out)
{
	char *tok, *save = NULL;

	if (!s)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	for (tok = strtok_r(s, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (strncmp(tok, "tap=", 4) == 0 && tok[4]) {
			/* IFNAMSIZ is 16 including the terminator. */
			if (strlen(tok + 4) > 15)
				return -EINVAL;
			out->tap = tok + 4;
		} else if (strncmp(tok, "mac=", 4) == 0) {
			if (cellvm_parse_mac(tok + 4, out->mac))
				return -EINVAL;
			out->has_mac = true;
		} else {
			return -EINVAL;
		}
	}
	return out->tap ? 0 : -EINVAL;
}

/* A decimal CID; the reserved 0-2 and VMADDR_CID_ANY give -ERANGE. */
static int parse_cid(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return -ERANGE;
	}
	if (v < 3 || v == UINT32_MAX)
		return -ERANGE;
	*out = v;
	return 0;
}

int cellvm_parse_vsock(char *s, struct cellvm_vsock_cfg *out)
{
	struct cellvm_vsock_cfg v = { 0 };
	char *tok, *save = NULL;
	int ret;

	if (!s)
		return -EINVAL;
	for (tok = strtok_r(s, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (strncmp(tok, "cid=", 4) == 0 && !v.guest_cid) {
			ret = parse_cid(tok + 4, &v.guest_cid);
			if (ret)
				return ret;
		} else if (strncmp(tok, "uds=", 4) == 0 && tok[4] &&
			   !v.uds_path) {
			v.uds_path = tok + 4;
		} else {
			return -EINVAL;
		}
	}
	if (!v.guest_cid || !v.uds_path)
		return -EINVAL;
	*out = v;
	return 0;
}
