// SPDX-License-Identifier: MIT
/*
 * The config loader on arbitrary text, and on the built-in config with
 * arbitrary bytes spliced in (so the schema is reached, not only the YAML
 * scanner). It must never crash or leak; what loads must be consistent.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"

static void check(const struct qz_config *c)
{
	for (size_t i = 0; i < c->n_collectors; i++) {
		const struct qz_config_collector *col = &c->collectors[i];

		if (!col->name || !col->profiler || !qz_config__sink(c, col->sink) ||
		    qz_config__collector(c, col->name) != col || col->interval_ms < 10)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *def = qz_config__default_yaml();
	size_t dlen = strlen(def), at;
	struct qz_config_error e;
	struct qz_config *c;
	char *text;

	c = qz_config__load_string((const char *)data, size, &e);
	if (c)
		check(c);
	qz_config__free(c);
	if (size < 2)
		return 0;
	at = ((size_t)data[0] | (size_t)data[1] << 8) % (dlen + 1);
	text = malloc(dlen + size);
	if (!text)
		return 0;
	memcpy(text, def, at);
	memcpy(text + at, data + 2, size - 2);
	memcpy(text + at + size - 2, def + at, dlen - at);
	c = qz_config__load_string(text, dlen + size - 2, &e);
	if (c)
		check(c);
	qz_config__free(c);
	free(text);
	return 0;
}
