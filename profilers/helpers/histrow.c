// SPDX-License-Identifier: MIT
/* A qz_hist as a table row (histrow.h). */
#include <inttypes.h>
#include "histrow.h"

static const char *const names[] = { "total", "min", "avg", "p50", "p95", "p99", "max" };

static void values(const struct qz_hist *h, uint64_t v[7])
{
	v[0] = h->sum;
	v[1] = h->count ? h->min : 0;
	v[2] = h->count ? h->sum / h->count : 0;
	v[3] = qz_hist__quantile(h, 0.50);
	v[4] = qz_hist__quantile(h, 0.95);
	v[5] = qz_hist__quantile(h, 0.99);
	v[6] = h->max;
}

void qz_histrow__header(FILE *f, bool us)
{
	fprintf(f, " %8s", "calls");
	for (int i = 0; i < 7; i++) {
		char name[16];

		snprintf(name, sizeof(name), "%s%s", names[i], us ? "(us)" : "");
		fprintf(f, " %*s", i ? 12 : 16, name);
	}
}

void qz_histrow__text(const struct qz_hist *h, FILE *f, bool us)
{
	uint64_t v[7];

	values(h, v);
	fprintf(f, " %8" PRIu64, h->count);
	for (int i = 0; i < 7; i++) {
		char buf[32];

		if (us)
			snprintf(buf, sizeof(buf), "%" PRIu64 ".%03" PRIu64, v[i] / 1000,
				 v[i] % 1000);
		else
			snprintf(buf, sizeof(buf), "%" PRIu64, v[i]);
		fprintf(f, " %*s", i ? 12 : 16, buf);
	}
}

void qz_histrow__json(const struct qz_hist *h, struct qz_json *j)
{
	uint64_t v[7];

	values(h, v);
	qz_json__key_u64(j, "calls", h->count);
	for (int i = 0; i < 7; i++)
		qz_json__key_u64(j, names[i], v[i]);
}
