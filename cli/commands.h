/* SPDX-License-Identifier: MIT */
#ifndef QUAZAR_CLI_COMMANDS_H
#define QUAZAR_CLI_COMMANDS_H

struct command {
	const char *name;
	const char *help;
	/* argv[0] is the command's name; returns the exit status. */
	int (*run)(int argc, char **argv);
};

#endif
