/* SPDX-License-Identifier: MIT */
/*
 * Building a line in a signal handler: no stdio, no allocation. Each call
 * appends to buf[n..max) and returns the new length; what does not fit is
 * dropped.
 */
#ifndef CELLVM_CLI_SIGSAFE_H
#define CELLVM_CLI_SIGSAFE_H

#include <stddef.h>
#include <stdint.h>

static inline size_t put_str(char *buf, size_t n, size_t max, const char *s)
{
	while (*s && n < max)
		buf[n++] = *s++;
	return n;
}

static inline size_t put_uint(char *buf, size_t n, size_t max, unsigned v)
{
	char tmp[12];
	size_t i = 0;

	do
		tmp[i++] = (char)('0' + v % 10);
	while ((v /= 10) && i < sizeof(tmp));
	while (i > 0 && n < max)
		buf[n++] = tmp[--i];
	return n;
}

/* "0x" and the value in hex, without leading zeros. */
static inline size_t put_hex(char *buf, size_t n, size_t max, uint64_t v)
{
	static const char digit[] = "0123456789abcdef";
	int shift = 60;

	n = put_str(buf, n, max, "0x");
	while (shift > 0 && !(v >> shift))
		shift -= 4;
	for (; shift >= 0 && n < max; shift -= 4)
		buf[n++] = digit[(v >> shift) & 0xf];
	return n;
}

#endif
