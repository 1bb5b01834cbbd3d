// SPDX-License-Identifier: MIT
/*
 * A latency heatmap written as SVG: time on the x axis, latency buckets
 * (4 per power of two, from struct qz_hist's buckets) on the y axis, the
 * count of each cell as its colour. Memory is fixed: at most MAX_COLS
 * columns; when time runs past them, neighbouring columns are merged and
 * each column covers twice the time.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <quazar/hist.h>
#include "heatmap.h"

#define MAX_COLS 512
#define ROWS_PER_OCTAVE 4
#define NR_ROWS ((int)(QZ_HIST_BUCKETS / (QZ_HIST_SUB / ROWS_PER_OCTAVE)))

struct heatmap {
	char *path;
	uint64_t start, col_ns;
	int nr_cols;
	uint64_t total;
	uint32_t cells[MAX_COLS][NR_ROWS];
};

struct heatmap *qz_heatmap__new(const char *path, uint64_t col_ns)
{
	struct heatmap *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->path = strdup(path);
	h->col_ns = col_ns ? col_ns : 100000000ull;
	if (!h->path) {
		free(h);
		return NULL;
	}
	return h;
}

void qz_heatmap__free(struct heatmap *h)
{
	if (!h)
		return;
	free(h->path);
	free(h);
}

static void halve(struct heatmap *h)
{
	for (int c = 0; c < MAX_COLS / 2; c++)
		for (int r = 0; r < NR_ROWS; r++) {
			uint64_t v = (uint64_t)h->cells[2 * c][r] + h->cells[2 * c + 1][r];

			h->cells[c][r] = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
		}
	memset(h->cells[MAX_COLS / 2], 0, sizeof(h->cells[0]) * (MAX_COLS / 2));
	h->col_ns *= 2;
	h->nr_cols = (h->nr_cols + 1) / 2;
}

static unsigned row_of(uint64_t latency)
{
	return qz_hist__bucket(latency) / (QZ_HIST_SUB / ROWS_PER_OCTAVE);
}

void qz_heatmap__add(struct heatmap *h, uint64_t time, uint64_t latency)
{
	uint64_t col;
	uint32_t *cell;

	if (!h->start)
		h->start = time;
	if (time < h->start)
		time = h->start;
	while ((col = (time - h->start) / h->col_ns) >= MAX_COLS)
		halve(h);
	if ((int)col >= h->nr_cols)
		h->nr_cols = (int)col + 1;
	cell = &h->cells[col][row_of(latency)];
	if (*cell != UINT32_MAX)
		(*cell)++;
	h->total++;
}

static void fmt_ns(uint64_t ns, char *buf, size_t len)
{
	if (ns >= 1000000000ull)
		snprintf(buf, len, "%.3gs", ns / 1e9);
	else if (ns >= 1000000)
		snprintf(buf, len, "%.3gms", ns / 1e6);
	else if (ns >= 1000)
		snprintf(buf, len, "%.3gus", ns / 1e3);
	else
		snprintf(buf, len, "%" PRIu64 "ns", ns);
}

int qz_heatmap__write(struct heatmap *h, const char *title)
{
	const int cw = 4, rh = 8, left = 80, top = 30, bottom = 40;
	int lo = NR_ROWS, hi = -1, width, height;
	uint32_t max = 0;
	FILE *f;

	for (int c = 0; c < h->nr_cols; c++)
		for (int r = 0; r < NR_ROWS; r++)
			if (h->cells[c][r]) {
				lo = r < lo ? r : lo;
				hi = r > hi ? r : hi;
				max = h->cells[c][r] > max ? h->cells[c][r] : max;
			}
	if (hi < 0)
		lo = hi = 0;
	f = fopen(h->path, "w");
	if (!f)
		return -errno;
	width = left + (h->nr_cols ? h->nr_cols : 1) * cw + 20;
	height = top + (hi - lo + 1) * rh + bottom;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"monospace\" font-size=\"10\">\n"
		   "<title>%s</title>\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
		   "<text x=\"%d\" y=\"15\">%s: %" PRIu64 " latencies, %.3gs per column</text>\n",
		width, height, title, left, title, h->total, h->col_ns / 1e9);
	for (int r = lo; r <= hi; r++) {
		int y = top + (hi - r) * rh;
		uint64_t low = qz_hist__bucket_low((unsigned)r * (QZ_HIST_SUB / ROWS_PER_OCTAVE));
		char label[32];

		if ((r - lo) % ROWS_PER_OCTAVE == 0) {
			fmt_ns(low, label, sizeof(label));
			fprintf(f, "<text x=\"2\" y=\"%d\">%s</text>\n", y + rh, label);
		}
		for (int c = 0; c < h->nr_cols; c++) {
			uint32_t n = h->cells[c][r];
			double v;

			if (!n)
				continue;
			/* log scale by bit length: 1 -> pale, max -> red */
			v = max > 1 ? (double)(32 - __builtin_clz(n)) / (32 - __builtin_clz(max)) : 1.0;
			fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"rgb(255,%d,0)\"><title>%s+ x%u</title></rect>\n",
				left + c * cw, y, cw, rh, (int)(220 * (1 - v)), label, n);
		}
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\">time: 0 .. %.3gs</text>\n"
		   "<text x=\"2\" y=\"%d\">latency</text>\n</svg>\n",
		left, height - 10, h->nr_cols * (h->col_ns / 1e9), height - 25);
	if (fclose(f))
		return -errno;
	return 0;
}
