// SPDX-License-Identifier: MIT
/*
 * When to send a failed request again: the statuses OTLP/HTTP calls
 * transient, the Retry-After header, and a jittered exponential backoff.
 */
#include <ctype.h>
#include <stdlib.h>
#include <curl/curl.h>
#include "otlp_internal.h"

bool qz__otlp_retryable(long status)
{
	return status == 429 || status == 502 || status == 503 ||
	       status == 504;
}

long long qz__otlp_retry_after(const char *value, time_t now)
{
	const char *p = value;
	char *end;
	time_t when;
	long long secs;

	while (isspace((unsigned char)*p))
		p++;
	if (isdigit((unsigned char)*p)) {
		secs = strtoll(p, &end, 10);
		while (isspace((unsigned char)*end))
			end++;
		if (*end || secs < 0 || secs > 86400LL * 365)
			return -1;
		return secs * 1000;
	}
	/* An HTTP-date: curl parses the three formats RFC 9110 allows. */
	when = curl_getdate(p, NULL);
	if (when < 0)
		return -1;
	return when > now ? (long long)(when - now) * 1000 : 0;
}

static uint64_t next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

unsigned int qz__otlp_backoff_ms(unsigned int attempt, unsigned int base,
				 unsigned int max, uint64_t *rng)
{
	uint64_t ms = base;

	while (attempt-- && ms < max)
		ms *= 2;
	if (ms > max)
		ms = max;
	/* Jitter spreads the retries of many clients after one outage. */
	return (unsigned int)(ms / 2 + next(rng) % (ms / 2 + 1));
}
