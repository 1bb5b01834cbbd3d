// SPDX-License-Identifier: MIT
/*
 * `quazar ingest -c FILE [--init] [--check]`: the Kafka to ClickHouse
 * loader (fleet/ingest.c). TERM/INT stop it: the batch in hand goes in and
 * is committed, then it leaves the group so its partitions move at once.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "fleet.h"
#include "commands.h"
#include "daemon_args.h"
#include "logger.h"

static volatile int stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: quazar ingest -c FILE [--init] [--check] [-v] [--journal]\n\n"
		"Consume the agents' reports from Kafka in a consumer group and load them\n"
		"into ClickHouse, in typed tables (see docs/fleet.md).\n\n"
		"  -c, --config FILE   the config file (YAML)\n"
		"      --init          create the database and its tables, then exit\n"
		"      --check         check the config, then exit\n"
		"      --print-schema  print the schema --init applies\n"
		"  -v, --verbose       debug logs\n"
		"      --journal       log to the systemd journal instead of stderr\n");
}

int cmd_ingest(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_stop };
	struct daemon_args a = { 0 };
	struct qz_config_error cerr;
	struct qz_ingest_config *cfg;
	struct qz_ingest *in;
	const char *path;
	bool init = false;
	char err[1024];
	int ret;

	for (int i = 1; i < argc; i++) {
		if (daemon_args_take(&a, argc, argv, &i))
			continue;
		if (!strcmp(argv[i], "--init")) {
			init = true;
		} else if (!strcmp(argv[i], "--print-schema")) {
			fputs(qz_fleet__schema_sql(), stdout);
			return 0;
		} else {
			return daemon_args_help_or_refuse("ingest", argv[i], usage);
		}
	}
	path = a.path;
	if (!path) {
		fprintf(stderr, "quazar ingest: -c FILE is required\n");
		usage(stderr);
		return 2;
	}
	logger_init(a.journal, a.verbose ? QZ_LOG_DEBUG : QZ_LOG_INFO);
	cfg = qz_ingest_config__load_file(path, &cerr);
	if (!cfg) {
		logger_printf(QZ_LOG_ERROR, "%s: %s", path, cerr.msg);
		return 2;
	}
	logger_set_level(a.verbose ? QZ_LOG_DEBUG : cfg->log_level);
	if (a.check) {
		printf("%s: OK\n", path);
		qz_ingest_config__free(cfg);
		return 0;
	}
	if (init) {
		ret = qz_fleet__init_schema(cfg, logger_log, NULL, err, sizeof(err));
		if (ret)
			logger_printf(QZ_LOG_ERROR, "--init: %s", err);
		qz_ingest_config__free(cfg);
		logger_flush();
		return ret ? 1 : 0;
	}
	/* Installed, not inherited: a background job's SIGINT is ignored. */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	in = qz_ingest__new(cfg, logger_log, NULL, err, sizeof(err));
	if (!in) {
		logger_printf(QZ_LOG_ERROR, "%s: %s", path, err);
		qz_ingest_config__free(cfg);
		return 1;
	}
	ret = qz_ingest__run(in, &stop);
	qz_ingest__free(in);
	qz_ingest_config__free(cfg);
	logger_flush();
	return ret ? 1 : 0;
}
