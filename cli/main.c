// SPDX-License-Identifier: MIT
/* quazar: the command table, like perf's commands[]. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "profiler.h"
#include "commands.h"

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("quazar %s\n", QUAZAR_VERSION);
	return 0;
}

/*
 * agent, ingest and fleet run in quazar-fleet, which links what only they
 * need (librdkafka, libcurl, libmicrohttpd, libyaml, libsystemd): loading
 * those cost every profiler run ~6.5 ms of CPU. This file is built into both:
 * quazar-fleet runs them here, quazar execs quazar-fleet (fleet_exec.c).
 */
#ifdef QZ_FLEET_COMMANDS
#define FLEET(run) run
#else
#define FLEET(run) cmd_fleet_exec
#endif

static const struct command commands[] = {
	{ "list", "list events: tracepoints, hardware, software, PMUs", cmd_list },
	{ "agent", "the collector daemon: reports to Kafka, a file or stdout", FLEET(cmd_agent) },
	{ "ingest", "load the agents' reports from Kafka into ClickHouse", FLEET(cmd_ingest) },
	{ "fleet", "questions about every host: top, vms, flamegraph, lost", FLEET(cmd_fleet) },
	{ "flamegraph", "folded stacks to an interactive SVG; two files: a differential one", cmd_flamegraph },
	{ "version", "print the version", cmd_version },
	{ "man", NULL, cmd_man },	/* hidden: the build writes the man pages */
};

const struct command *cli_commands(size_t *nr)
{
	*nr = sizeof(commands) / sizeof(commands[0]);
	return commands;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: quazar <command> [options]\n\nprofilers:\n");
	for (const struct qz_profiler *const *p = qz_profilers(); *p; p++)
		fprintf(out, "  %-12s %s\n", (*p)->name, (*p)->help);
	fprintf(out, "\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].help)
			fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].help);
	fprintf(out, "\n'quazar <command> -h' describes a command's options.\n");
}

/* A closed stdout (a pipe whose reader went away) is an error, not silence. */
static int check_stdout(int ret)
{
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "quazar: error writing output: %s\n", strerror(errno));
		return ret ? ret : 1;
	}
	return ret;
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : check_stdout(0);
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return check_stdout(cmd_version(0, NULL));
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return check_stdout(commands[i].run(argc - 1, argv + 1));
	if (qz_profiler__find(argv[1]))
		return check_stdout(run_profiler(qz_profiler__find(argv[1]),
						 argc - 1, argv + 1));
	fprintf(stderr, "quazar: '%s' is not a command; 'quazar --help' lists them\n",
		argv[1]);
	return 2;
}
