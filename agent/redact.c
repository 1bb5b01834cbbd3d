// SPDX-License-Identifier: MIT
/*
 * Kernel addresses out of /data, which any client of the endpoint reads:
 * a kernel pointer defeats KASLR. Every 64-bit Linux kernel lives in the
 * upper half of the address space, so the rule needs no field names:
 * integers at or above 2^63 become 0, and 0x-hex numbers at or above it
 * inside strings (stack frames' "addr", unresolved frames in folded
 * stacks) become 0x0. Keys are left alone. The text is the JSON writer's
 * own: well-formed, no whitespace between tokens.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "agent_internal.h"

#define KERNEL_HALF (1ull << 63)

static bool num_char(char c)
{
	return isdigit((unsigned char)c) || c == '.' || c == 'e' || c == 'E' ||
	       c == '+' || c == '-';
}

/* The index of the quote that ends the string opened at s[i]. */
static size_t string_end(const char *s, size_t len, size_t i)
{
	for (i++; i < len && s[i] != '"'; i++)
		if (s[i] == '\\')
			i++;
	return i < len ? i : len;
}

/* A whole-digits token at or above 2^63 that fits in 64 bits. */
static bool kernel_number(const char *s, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t d = (uint64_t)(s[i] - '0');

		if (!isdigit((unsigned char)s[i]) || v > (UINT64_MAX - d) / 10)
			return false;	/* not an integer, or past 64 bits */
		v = v * 10 + d;
	}
	return v >= KERNEL_HALF;
}

/* At s[0..n): "0x" and 1 to 16 hex digits at or above 2^63? *len: their length. */
static bool kernel_hex(const char *s, size_t n, size_t *len)
{
	uint64_t v = 0;
	size_t i = 2;

	if (n < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return false;
	for (; i < n && isxdigit((unsigned char)s[i]); i++) {
		if (i - 2 == 16)
			return false;
		v = v << 4 | (uint64_t)(isdigit((unsigned char)s[i]) ? s[i] - '0' :
					  tolower((unsigned char)s[i]) - 'a' + 10);
	}
	*len = i;
	return i > 2 && v >= KERNEL_HALF;
}

size_t qz_redact_kernel_addrs(char *s, size_t len)
{
	size_t r = 0, w = 0, end, n;

	while (r < len) {
		if (s[r] == '"') {
			end = string_end(s, len, r);
			if (end + 1 < len && s[end + 1] == ':') {	/* a key */
				memmove(s + w, s + r, end + 1 - r);
				w += end + 1 - r;
				r = end + 1;
				continue;
			}
			s[w++] = s[r++];
			while (r < end) {
				if (s[r] == '\\') {
					s[w++] = s[r++];
					s[w++] = s[r++];
				} else if (kernel_hex(s + r, end - r, &n)) {
					memcpy(s + w, "0x0", 3);
					w += 3;
					r += n;
				} else {
					s[w++] = s[r++];
				}
			}
			if (r < len)
				s[w++] = s[r++];	/* the closing quote */
			continue;
		}
		if (isdigit((unsigned char)s[r]) && (!r || !num_char(s[r - 1]))) {
			for (end = r; end < len && num_char(s[end]); end++)
				;
			if (kernel_number(s + r, end - r)) {
				s[w++] = '0';
			} else {
				memmove(s + w, s + r, end - r);
				w += end - r;
			}
			r = end;
			continue;
		}
		s[w++] = s[r++];
	}
	return w;
}
