// SPDX-License-Identifier: MIT
/*
 * W3C trace-context: random trace and span ids, and the traceparent
 * header, "00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>".
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include "span_internal.h"

/* splitmix64: fast, and ids need to be unique rather than secret. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t qz__span_rng_seed(void)
{
	uint64_t seed;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == sizeof(seed))
		return seed;
	/* No entropy yet (early boot): time, thread and stack address. */
	seed = qz__clock_ns(CLOCK_MONOTONIC) ^ (uint64_t)gettid() << 32;
	return seed ^ (uint64_t)(uintptr_t)&seed;
}

void qz__span_id_new(uint64_t *rng, uint8_t *id, size_t len)
{
	uint64_t v = 0;

	for (size_t i = 0; i < len; i += sizeof(v)) {
		do
			v = rng_next(rng);
		while (!v);
		memcpy(id + i, &v, len - i < sizeof(v) ? len - i : sizeof(v));
	}
}

void qz__hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;		/* the spec allows lower case only */
}

/* len bytes from 2*len lower-case hex digits; false if any is not. */
static bool decode(const char *s, uint8_t *out, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int hi = unhex(s[2 * i]), lo = unhex(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static bool all_zero(const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

QZ_API int qz_span_context__parse(struct qz_span_context *ctx,
				  const char *tp)
{
	struct qz_span_context c = { .remote = true };
	uint8_t version, flags;
	size_t len;

	if (!ctx || !tp)
		return -EINVAL;
	len = strnlen(tp, 512);
	/* version "-" trace-id "-" parent-id "-" flags: 55 characters. */
	if (len < 55 || tp[2] != '-' || tp[35] != '-' || tp[52] != '-')
		return -EINVAL;
	if (!decode(tp, &version, 1) || version == 0xff)
		return -EINVAL;
	/* Version 00 is exactly 55; later ones may append "-..." fields. */
	if ((version == 0 && len != 55) || (len > 55 && tp[55] != '-'))
		return -EINVAL;
	if (!decode(tp + 3, c.trace_id, sizeof(c.trace_id)) ||
	    !decode(tp + 36, c.span_id, sizeof(c.span_id)) ||
	    !decode(tp + 53, &flags, 1))
		return -EINVAL;
	if (all_zero(c.trace_id, sizeof(c.trace_id)) ||
	    all_zero(c.span_id, sizeof(c.span_id)))
		return -EINVAL;
	c.trace_flags = flags;
	*ctx = c;
	return 0;
}

QZ_API int qz_span_context__format(const struct qz_span_context *ctx,
				   char *buf, size_t len)
{
	if (!ctx || !buf)
		return -EINVAL;
	if (len < QZ_TRACEPARENT_LEN)
		return -ENOSPC;
	memcpy(buf, "00-", 3);
	qz__hex_encode(ctx->trace_id, sizeof(ctx->trace_id), buf + 3);
	buf[35] = '-';
	qz__hex_encode(ctx->span_id, sizeof(ctx->span_id), buf + 36);
	buf[52] = '-';
	/* Version 00 defines the sampled and random bits only. */
	qz__hex_encode(&(uint8_t){ ctx->trace_flags & 0x03 }, 1, buf + 53);
	return 0;
}

uint64_t qz__clock_ns(int clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
