// SPDX-License-Identifier: MIT
/* The arguments the daemons (agent, ingest) share, read in one place. */
#include <string.h>
#include "daemon_args.h"

bool daemon_args_take(struct daemon_args *a, int argc, char **argv, int *i)
{
	const char *arg = argv[*i];

	/* -c last, with no FILE, is left to be refused as unknown. */
	if ((!strcmp(arg, "-c") || !strcmp(arg, "--config")) && *i + 1 < argc)
		a->path = argv[++*i];
	else if (!strcmp(arg, "--check"))
		a->check = true;
	else if (!strcmp(arg, "-v") || !strcmp(arg, "--verbose"))
		a->verbose++;
	else if (!strcmp(arg, "--journal"))
		a->journal = true;
	else
		return false;
	return true;
}

int daemon_args_help_or_refuse(const char *cmd, const char *arg,
			       void (*usage)(FILE *out))
{
	if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "quazar %s: unknown argument '%s'\n", cmd, arg);
	usage(stderr);
	return 2;
}
