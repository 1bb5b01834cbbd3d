/* SPDX-License-Identifier: MIT */
#ifndef QUAZAR_CLI_COMMANDS_H
#define QUAZAR_CLI_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>

struct command {
	const char *name;
	const char *help;	/* NULL: hidden from --help */
	/* argv[0] is the command's name; returns the exit status. */
	int (*run)(int argc, char **argv);
};

struct qz_profiler;

int cmd_list(int argc, char **argv);
int cmd_agent(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_fleet(int argc, char **argv);
int cmd_man(int argc, char **argv);
int cmd_flamegraph(int argc, char **argv);
/* quazar's agent, ingest and fleet: exec quazar-fleet (fleet_exec.c). */
int cmd_fleet_exec(int argc, char **argv);

/* The command table (main.c), hidden entries included. */
const struct command *cli_commands(size_t *nr);

/*
 * Print what the events of a selector are made of (fields, types, print
 * format; a profiler's options): `list -v` and `PROFILER -e EVENT help`.
 * 0 or a negative error (printed).
 */
int describe_events(const char *selector, bool json);

/* Run a profiler from the command line; returns the exit status. */
int run_profiler(const struct qz_profiler *prof, int argc, char **argv);

#endif
