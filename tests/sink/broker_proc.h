/* SPDX-License-Identifier: MIT */
/*
 * The mock Kafka broker (tests/sink/mock_broker) as a child process, for
 * the Kafka tests and the agent benchmark: start it, read its bootstrap
 * address, send it `down`/`up`, stop it by closing its stdin.
 */
#ifndef QUAZAR_TESTS_BROKER_PROC_H
#define QUAZAR_TESTS_BROKER_PROC_H

#include <sys/types.h>

struct broker {
	pid_t pid;
	int cmd;		/* its stdin */
	char addr[128];		/* bootstrap address */
};

/* 0, or -errno / -EIO when it printed no address within 10 s. */
int broker_start(struct broker *b, const char *path, const char *topic,
		 int partitions);
/* Send one command line ("down\n", "up\n"); 0 or -errno. */
int broker_cmd(struct broker *b, const char *cmd);
/* Close its stdin and reap it; returns its waitpid status. */
int broker_stop(struct broker *b);

#endif
