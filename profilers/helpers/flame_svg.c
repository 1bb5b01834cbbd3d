// SPDX-License-Identifier: MIT
/*
 * The SVG of a flame graph, in flamegraph.pl's layout: the root at the
 * bottom, children in name order, widths in proportion to samples.
 *
 * Each frame is <g data-o data-n> (offset and width in samples) holding a
 * <title> (the tooltip: name, samples, percent), a <rect> and, when the
 * name fits, a <text>. Frames narrower than MIN_PX are merged into one
 * grey box per parent; so are the narrowest frames past MAX_FRAMES or
 * MAX_BYTES (about 12 MB), so 100,000 distinct stacks still give a file
 * a browser opens quickly.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "flame_svg.h"
#include "flame_js.h"
#include "xml.h"

#define XPAD 10
#define FRAME_H 16
#define FONT 12
#define CHAR_W (FONT * 0.59)
#define TOP 56			/* title, buttons, legend */
#define BOTTOM 30		/* details and matched */
#define MIN_PX 0.1
#define MAX_FRAMES 30000
#define MAX_BYTES (12u << 20)	/* frames' estimated bytes */
#define FRAME_BYTES 190		/* a frame's markup besides its name */
#define FILL_LEN 48

struct svg {
	const struct qz_flame_tree *t;
	const struct qz_flame_node *nodes;
	const struct qz_flame_svg_opts *o;
	FILE *out;
	int side;		/* which count sets the widths */
	uint64_t total;
	unsigned *depths;	/* per node */
	unsigned char *drawn;	/* per node */
	int64_t max_delta;
	double scale;		/* pixels per sample */
	unsigned width, height;
	const char *count_name;
};

/* flamegraph.pl's annotations: _[k] kernel, _[j] JIT, _[i] inlined, _[w] waker. */
static char annotation(const char *name, size_t *len)
{
	*len = strlen(name);
	if (*len >= 4 && name[*len - 4] == '_' && name[*len - 3] == '[' &&
	    name[*len - 1] == ']' && strchr("kjiw", name[*len - 2])) {
		*len -= 4;
		return name[*len + 2];
	}
	return 0;
}

static void commas(uint64_t v, char *buf)
{
	char digits[24];
	int n = snprintf(digits, sizeof(digits), "%" PRIu64, v), j = 0;

	for (int i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			buf[j++] = ',';
		buf[j++] = digits[i];
	}
	buf[j] = 0;
}

static void frame_fill(const struct svg *g, const struct qz_flame_node *n,
		       const char *name, size_t len, char kind, char *fill)
{
	uint64_t h = 0xcbf29ce484222325ull;
	double v;

	if (g->o->diff) {
		int64_t d = (int64_t)(n->self[QZ_FLAME_NEW] - n->self[QZ_FLAME_BASE]);
		int c = (int)(210 * (double)(g->max_delta - (d < 0 ? -d : d)) / g->max_delta);

		/* difffolded.pl's hues: red grew, blue shrank, white unchanged. */
		if (d > 0)
			snprintf(fill, FILL_LEN, "rgb(255,%d,%d)", c, c);
		else if (d < 0)
			snprintf(fill, FILL_LEN, "rgb(%d,%d,255)", c, c);
		else
			strcpy(fill, "rgb(250,250,250)");
		return;
	}
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 0x100000001b3ull;
	v = (double)(h >> 40) / (double)(1 << 24);
	/* flamegraph.pl's java palette: user red, kernel orange. */
	if (kind == 'k')
		snprintf(fill, FILL_LEN, "rgb(%d,%d,0)", 190 + (int)(65 * v), 90 + (int)(65 * v));
	else if (kind == 'j')
		snprintf(fill, FILL_LEN, "rgb(%d,%d,%d)", 50 + (int)(60 * v), 200 + (int)(55 * v),
			50 + (int)(60 * v));
	else if (kind == 'i' || kind == 'w')
		snprintf(fill, FILL_LEN, "rgb(%d,%d,%d)", 50 + (int)(60 * v), 165 + (int)(55 * v),
			165 + (int)(55 * v));
	else
		snprintf(fill, FILL_LEN, "rgb(%d,%d,%d)", 200 + (int)(55 * v), 50 + (int)(80 * v),
			50 + (int)(80 * v));
}

/* The tooltip after the name: "(1,234 samples, 5.67%...)". */
static void frame_info(const struct svg *g, uint64_t n, const struct qz_flame_node *node)
{
	char c[32], b[32];

	commas(n, c);
	fprintf(g->out, " (%s ", c);
	qz_xml__put(g->out, g->count_name, strlen(g->count_name));
	fprintf(g->out, ", %.2f%%", 100.0 * (double)n / (double)g->total);
	if (g->o->diff && node) {
		int other = !g->side;
		int64_t ds = (int64_t)(node->self[QZ_FLAME_NEW] - node->self[QZ_FLAME_BASE]);
		int64_t dt = (int64_t)(node->total[QZ_FLAME_NEW] - node->total[QZ_FLAME_BASE]);

		commas(node->total[other], b);
		fprintf(g->out, "; %s %s, self %+" PRId64 ", total %+" PRId64,
			other == QZ_FLAME_BASE ? "base" : "new", b, ds, dt);
	}
	fputc(')', g->out);
}

static void frame_text(const struct svg *g, const char *name, size_t len,
		       double x, unsigned y, double w)
{
	long fit = lround(floor((w - 3) / CHAR_W));

	if (fit < 3)
		return;
	fprintf(g->out, "<text x=\"%.2f\" y=\"%u\">", x + 3, y + 11);
	if ((long)len <= fit) {
		qz_xml__put(g->out, name, len);
	} else {
		size_t cut = (size_t)fit - 2;

		/* Cut between characters, not inside one. */
		while (cut && ((unsigned char)name[cut] & 0xc0) == 0x80)
			cut--;
		qz_xml__put(g->out, name, cut);
		fputs("..", g->out);
	}
	fputs("</text>", g->out);
}

static unsigned frame_y(const struct svg *g, unsigned depth)
{
	return g->height - BOTTOM - (depth + 1) * FRAME_H;
}

static void frame(const struct svg *g, const struct qz_flame_node *n,
		  uint64_t off, unsigned depth)
{
	const char *name = qz_flame_tree__name(g->t, n);
	uint64_t v = n->total[g->side];
	double x = XPAD + (double)off * g->scale, w = (double)v * g->scale;
	unsigned y = frame_y(g, depth);
	char fill[FILL_LEN];
	size_t len;
	char kind = annotation(name, &len);

	frame_fill(g, n, name, len, kind, fill);
	fprintf(g->out, "<g data-o=\"%" PRIu64 "\" data-n=\"%" PRIu64 "\"><title>", off, v);
	qz_xml__put(g->out, name, len);
	frame_info(g, v, n);
	fprintf(g->out, "</title><rect x=\"%.2f\" y=\"%u\" width=\"%.2f\" height=\"%u\" fill=\"%s\"/>",
		x, y, w, FRAME_H - 1, fill);
	frame_text(g, name, len, x, y, w);
	fputs("</g>\n", g->out);
}

/* The box of a parent's children too narrow to draw. */
static void merged(const struct svg *g, uint64_t off, uint64_t v, size_t nr,
		   unsigned depth)
{
	double x = XPAD + (double)off * g->scale, w = (double)v * g->scale;
	unsigned y = frame_y(g, depth);
	char name[64];

	snprintf(name, sizeof(name), "%zu small frame%s", nr, nr == 1 ? "" : "s");
	fprintf(g->out, "<g class=\"m\" data-o=\"%" PRIu64 "\" data-n=\"%" PRIu64 "\"><title>%s",
		off, v, name);
	frame_info(g, v, NULL);
	fprintf(g->out, "</title><rect x=\"%.2f\" y=\"%u\" width=\"%.2f\" height=\"%u\" fill=\"rgb(190,190,190)\"/>",
		x, y, w, FRAME_H - 1);
	frame_text(g, name, strlen(name), x, y, w);
	fputs("</g>\n", g->out);
}

struct cand {
	uint64_t n;
	uint32_t depth, node;
};

/* Wider first; among equals, nearer the root, then earlier (parents first). */
static int by_width(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	if (x->depth != y->depth)
		return x->depth > y->depth ? 1 : -1;
	return x->node > y->node ? 1 : -1;
}

static uint64_t frame_bytes(const struct svg *g, size_t i)
{
	return FRAME_BYTES + 2 * strlen(qz_flame_tree__name(g->t, &g->nodes[i]));
}

/*
 * Which frames are drawn: those MIN_PX wide or more, and when they are too
 * many for the budget, the widest of them. The order of by_width puts a
 * parent before its children (never narrower), so what is drawn stays a
 * tree.
 */
static int pick(struct svg *g, size_t nr)
{
	uint64_t min_n = (uint64_t)ceil(MIN_PX / g->scale), frames = 0, bytes = 0;
	struct cand *c;
	size_t k = 0;

	min_n = min_n ? min_n : 1;
	g->drawn[0] = 1;
	for (size_t i = 1; i < nr; i++) {
		g->drawn[i] = g->nodes[i].total[g->side] >= min_n;
		if (g->drawn[i]) {
			frames++;
			bytes += frame_bytes(g, i);
		}
	}
	if (frames <= MAX_FRAMES && bytes <= MAX_BYTES)
		return 0;
	c = malloc(frames * sizeof(*c));
	if (!c)
		return -ENOMEM;
	for (size_t i = 1; i < nr; i++)
		if (g->drawn[i])
			c[k++] = (struct cand){ g->nodes[i].total[g->side], g->depths[i],
						(uint32_t)i };
	qsort(c, k, sizeof(*c), by_width);
	frames = bytes = 0;
	for (size_t i = 0; i < k; i++) {
		frames++;
		bytes += frame_bytes(g, c[i].node);
		if (frames > MAX_FRAMES || bytes > MAX_BYTES)
			g->drawn[c[i].node] = 0;
	}
	free(c);
	return 0;
}

static void header(const struct svg *g)
{
	const struct qz_flame_svg_opts *o = g->o;
	char total[32];

	commas(g->total, total);
	fprintf(g->out,
		"<?xml version=\"1.0\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" width=\"%u\" height=\"%u\" viewBox=\"0 0 %u %u\" "
		"xmlns=\"http://www.w3.org/2000/svg\" onload=\"init()\">\n"
		"<defs><linearGradient id=\"bg\" y1=\"0\" y2=\"1\" x1=\"0\" x2=\"0\">"
		"<stop stop-color=\"#eeeeee\" offset=\"5%%\"/><stop stop-color=\"#eeeeb0\" offset=\"95%%\"/>"
		"</linearGradient></defs>\n"
		"<style>text{font-family:Verdana,sans-serif;font-size:%dpx;fill:#000}"
		"#title{font-size:17px}#unzoom,#search{cursor:pointer}"
		"#frames g{cursor:pointer}#frames g:hover rect{stroke:#000;stroke-width:0.5}</style>\n"
		"<script type=\"text/ecmascript\"><![CDATA[\nvar W = %u, P = %d, T = %" PRIu64 ", CW = %.2f;\n%s]]></script>\n"
		"<rect x=\"0\" y=\"0\" width=\"%u\" height=\"%u\" fill=\"url(#bg)\"/>\n"
		"<text id=\"title\" x=\"%u\" y=\"24\" text-anchor=\"middle\">",
		g->width, g->height, g->width, g->height, FONT, g->width, XPAD, g->total,
		CHAR_W, qz_flame_js, g->width, g->height, g->width / 2);
	qz_xml__put(g->out, o->title ? o->title : "Flame Graph", strlen(o->title ? o->title : "Flame Graph"));
	fprintf(g->out, "</text>\n<text x=\"%u\" y=\"42\" text-anchor=\"middle\">", g->width / 2);
	if (o->diff)
		fputs("<tspan fill=\"rgb(255,0,0)\">\u25a0</tspan> grew "
		      "<tspan fill=\"rgb(0,0,255)\">\u25a0</tspan> shrank (self samples against the base)", g->out);
	else
		fputs("<tspan fill=\"rgb(230,80,80)\">\u25a0</tspan> user "
		      "<tspan fill=\"rgb(225,125,0)\">\u25a0</tspan> kernel", g->out);
	fprintf(g->out, "; %s ", total);
	qz_xml__put(g->out, g->count_name, strlen(g->count_name));
	if (o->subtitle) {
		fputs("; ", g->out);
		qz_xml__put(g->out, o->subtitle, strlen(o->subtitle));
	}
	fprintf(g->out, "</text>\n"
		"<text id=\"unzoom\" x=\"%d\" y=\"24\" style=\"opacity:0\">Reset Zoom</text>\n"
		"<text id=\"search\" x=\"%u\" y=\"24\" text-anchor=\"end\">Search</text>\n"
		"<text id=\"details\" x=\"%d\" y=\"%u\"> </text>\n"
		"<text id=\"matched\" x=\"%u\" y=\"%u\" text-anchor=\"end\"> </text>\n"
		"<g id=\"frames\">\n",
		XPAD, g->width - XPAD, XPAD, g->height - 10, g->width - XPAD, g->height - 10);
}

struct frame_to_draw {
	uint32_t node;
	unsigned depth;
	uint64_t off;
};

/* Every drawn frame, parents first; depth-first with an explicit stack. */
static int frames(const struct svg *g, size_t nr)
{
	struct frame_to_draw *stack = malloc(nr * sizeof(*stack));
	size_t top = 0;

	if (!stack)
		return -ENOMEM;
	stack[top++] = (struct frame_to_draw){ 0, 0, 0 };
	while (top) {
		struct frame_to_draw t = stack[--top];
		const struct qz_flame_node *n = &g->nodes[t.node];
		uint64_t off = t.off, narrow = 0;
		size_t nr_narrow = 0;

		frame(g, n, t.off, t.depth);
		for (uint32_t c = n->child; c; c = g->nodes[c].next) {
			uint64_t v = g->nodes[c].total[g->side];

			if (g->drawn[c]) {
				stack[top++] = (struct frame_to_draw){ c, t.depth + 1, off };
				off += v;
			} else if (v) {
				narrow += v;
				nr_narrow++;
			}
		}
		if (narrow && narrow * g->scale >= MIN_PX)
			merged(g, off, narrow, nr_narrow, t.depth + 1);
	}
	free(stack);
	return 0;
}

int qz_flame_svg__write(const struct qz_flame_tree *t,
			const struct qz_flame_svg_opts *o, FILE *out)
{
	struct svg g = { .t = t, .o = o, .out = out, .max_delta = 1 };
	unsigned depth = 0;
	size_t nr;
	int err;

	g.nodes = qz_flame_tree__nodes(t, &nr);
	g.side = o->diff && o->negate ? QZ_FLAME_BASE : QZ_FLAME_NEW;
	g.total = g.nodes[0].total[g.side];
	g.width = o->width ? o->width : 1200;
	g.count_name = o->count_name ? o->count_name : "samples";
	if (!g.total)
		return -ENODATA;
	if (g.width < 4 * XPAD)
		return -EINVAL;
	g.scale = (double)(g.width - 2 * XPAD) / (double)g.total;
	g.depths = calloc(nr, sizeof(*g.depths));
	g.drawn = calloc(nr, 1);
	err = -ENOMEM;
	if (!g.depths || !g.drawn)
		goto out;
	/* Parents come before their children in the node array. */
	for (size_t i = 1; i < nr; i++) {
		const struct qz_flame_node *n = &g.nodes[i];
		int64_t d = (int64_t)(n->self[QZ_FLAME_NEW] - n->self[QZ_FLAME_BASE]);

		g.depths[i] = g.depths[n->parent] + 1;
		if ((d < 0 ? -d : d) > g.max_delta)
			g.max_delta = d < 0 ? -d : d;
	}
	err = pick(&g, nr);
	if (err)
		goto out;
	for (size_t i = 1; i < nr; i++)
		if (g.drawn[i] && g.depths[i] > depth)
			depth = g.depths[i];
	/* One more row for a merged box above the deepest frame. */
	g.height = TOP + BOTTOM + (depth + 2) * FRAME_H;
	header(&g);
	err = frames(&g, nr);
	fputs("</g>\n</svg>\n", out);
	if (!err && ferror(out))
		err = -EIO;
out:
	free(g.depths);
	free(g.drawn);
	return err;
}
