/* SPDX-License-Identifier: MIT */
/*
 * The arguments `quazar agent` and `quazar ingest` share: a config file,
 * --check, -v, --journal and -h. Each command reads its own beside them:
 *
 *	for (int i = 1; i < argc; i++) {
 *		if (daemon_args_take(&a, argc, argv, &i))
 *			continue;
 *		if (!strcmp(argv[i], "--own"))
 *			...
 *		else
 *			return daemon_args_help_or_refuse("cmd", argv[i], usage);
 *	}
 */
#ifndef QUAZAR_CLI_DAEMON_ARGS_H
#define QUAZAR_CLI_DAEMON_ARGS_H

#include <stdbool.h>
#include <stdio.h>

struct daemon_args {
	const char *path;	/* -c, --config FILE; NULL: none */
	bool check;		/* --check */
	bool journal;		/* --journal */
	int verbose;		/* -v, --verbose, counted */
};

/* Takes argv[*i] (and its value, moving *i) if it is a shared option. */
bool daemon_args_take(struct daemon_args *a, int argc, char **argv, int *i);
/*
 * An argument neither shared nor the command's own: -h, --help print the
 * usage and give 0; anything else is refused, with the usage, and gives 2.
 */
int daemon_args_help_or_refuse(const char *cmd, const char *arg,
			       void (*usage)(FILE *out));

#endif
