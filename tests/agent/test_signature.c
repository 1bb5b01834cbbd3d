// SPDX-License-Identifier: MIT
/*
 * A reload keeps a collector running when its signature is the same. Two
 * configs that differ must never give one signature, whatever characters
 * their values hold ('|' was the separator).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agent_internal.h"
#include "../test.h"

static char *sig_of(const char *yaml)
{
	struct qz_config_error e;
	struct qz_config *c = qz_config__load_string(yaml, strlen(yaml), &e);
	char *sig;

	if (!c) {
		fprintf(stderr, "%s\n", e.msg);
		return NULL;
	}
	sig = qz_collector__signature(c, &c->collectors[0]);
	qz_config__free(c);
	return sig;
}

static void test_pipes(void)
{
	static const char *const pairs[][2] = {
		/* An event holding "|o:" against an event and an option. */
		{ "collectors:\n  - name: a\n    profiler: trace\n    events: ['x|o:y']\n",
		  "collectors:\n  - name: a\n    profiler: trace\n    events: [x]\n    options: [y]\n" },
		/* Two options against one holding the separator. */
		{ "collectors:\n  - name: a\n    profiler: trace\n    options: ['-a|o:-b']\n",
		  "collectors:\n  - name: a\n    profiler: trace\n    options: [-a, -b]\n" },
		/* The sink's fields, ':' between them. */
		{ "sinks:\n  k: {type: kafka, brokers: 'h:1:t', topic: q}\ncollectors:\n"
		  "  - name: a\n    profiler: trace\n    sink: k\n",
		  "sinks:\n  k: {type: kafka, brokers: 'h:1', topic: 't:q'}\ncollectors:\n"
		  "  - name: a\n    profiler: trace\n    sink: k\n" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(pairs); i++) {
		char *a = sig_of(pairs[i][0]), *b = sig_of(pairs[i][1]), *a2 = sig_of(pairs[i][0]);

		CHECK(a && b && a2);
		if (a && b && a2) {
			if (!strcmp(a, b))
				fprintf(stderr, "pair %zu: one signature: %s\n", i, a);
			CHECK(strcmp(a, b));
			CHECK_STR(a, a2);	/* the same config: the same signature */
		}
		free(a);
		free(b);
		free(a2);
	}
}

int main(void)
{
	RUN(test_pipes);
	return test_result();
}
