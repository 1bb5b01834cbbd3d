// SPDX-License-Identifier: MIT
/*
 * The value parsers both config files use, so that the agent's file and
 * ingest's take the same words and units, refused in the same words.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "config_schema.h"

int qz_schema__str(struct qz_schema *ld, yaml_node_t *node, void *dst)
{
	const char *s = qz_schema__scalar(ld, node, "a string");
	char **out = dst;

	if (!s)
		return -QZ_ERR_CONFIG;
	if (!*s)
		return qz_schema__fail(ld, node, "must not be empty");
	free(*out);
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

int qz_schema__interval(struct qz_schema *ld, yaml_node_t *node, void *dst)
{
	const char *s = qz_schema__scalar(ld, node, "an interval");

	if (!s)
		return -QZ_ERR_CONFIG;
	if (qz_config__parse_interval(s, dst))
		return qz_schema__fail(ld, node,
				       "\"%s\" is not an interval from 10ms to 24h (e.g. 500ms, 1s, 2m)",
				       s);
	return 0;
}

int qz_schema__interval_u32(struct qz_schema *ld, yaml_node_t *node, void *dst)
{
	uint64_t ms;
	int err = qz_schema__interval(ld, node, &ms);

	if (!err)
		*(unsigned int *)dst = (unsigned int)ms;
	return err;
}

int qz_schema__log_level(struct qz_schema *ld, yaml_node_t *node, void *dst)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	const char *s = qz_schema__scalar(ld, node, "a log level");

	if (!s)
		return -QZ_ERR_CONFIG;
	for (int i = 0; i < 4; i++)
		if (!strcasecmp(s, names[i])) {
			*(enum qz_log_level *)dst = (enum qz_log_level)i;
			return 0;
		}
	return qz_schema__fail(ld, node, "\"%s\" is not a log level (error, warn, info, debug)",
			       s);
}

int qz_schema__listen(struct qz_schema *ld, yaml_node_t *node, void *dst,
		      const char *example)
{
	const char *s = qz_schema__scalar(ld, node, "host:port");
	const char *colon;
	char *end;
	long port;

	if (!s)
		return -QZ_ERR_CONFIG;
	if (!strcmp(s, "off")) {
		free(*(char **)dst);
		*(char **)dst = NULL;
		return 0;
	}
	colon = strrchr(s, ':');
	port = colon ? strtol(colon + 1, &end, 10) : -1;
	if (!colon || !colon[1] || *end || port < 0 || port > 65535)
		return qz_schema__fail(ld, node, "\"%s\" is not host:port (e.g. %s) or off", s,
				       example);
	return qz_schema__str(ld, node, dst);
}
