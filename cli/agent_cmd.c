// SPDX-License-Identifier: MIT
/*
 * `quazar agent [-c FILE] [--check]`: the collector daemon. Signals are
 * taken synchronously on the main thread: TERM/INT shut down (final
 * reports delivered or spooled), HUP reloads, USR1 logs the status.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include "agent.h"
#include "commands.h"
#include "daemon_args.h"
#include "logger.h"

#define SHUTDOWN_DEADLINE_MS 10000

static void usage(FILE *out)
{
	fprintf(out,
		"usage: quazar agent [-c FILE] [--check] [-v] [--journal]\n\n"
		"Run the collectors of FILE (YAML; see docs/config.md), or of the built-in\n"
		"config, which prints per-CPU counters and a scheduler-latency summary to stdout.\n\n"
		"  -c, --config FILE   the config file\n"
		"      --check         check the config (and reach its brokers), then exit\n"
		"      --print-default print the built-in config\n"
		"  -v, --verbose       debug logs: every report as it is sent\n"
		"      --journal       log to the systemd journal instead of stderr\n\n"
		"signals: TERM/INT stop (reports delivered or spooled), HUP reloads FILE,\n"
		"USR1 logs the status of every collector and sink, USR2 the agent's own\n"
		"CPU use since the last USR2 and its RSS.\n");
}

/* SIGUSR2: the agent's own resource use since the last one (or the start). */
static void log_usage(void)
{
	static uint64_t last_wall, last_cpu;
	struct timespec ts;
	struct rusage ru;
	unsigned long long size = 0, resident = 0;
	uint64_t wall, cpu;
	FILE *f;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	wall = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (getrusage(RUSAGE_SELF, &ru))
		return;
	cpu = ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000ull +
	      ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000ull;
	f = fopen("/proc/self/statm", "re");
	if (f) {
		if (fscanf(f, "%llu %llu", &size, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	if (last_wall && wall > last_wall)
		logger_printf(QZ_LOG_INFO, "SIGUSR2: cpu %.2f%% over %.3f s, rss %.1f MiB",
			      100.0 * (double)(cpu - last_cpu) / (double)(wall - last_wall),
			      (double)(wall - last_wall) / 1e9,
			      (double)resident * (double)sysconf(_SC_PAGESIZE) / (1 << 20));
	else
		logger_printf(QZ_LOG_INFO, "SIGUSR2: cpu %.3f s since the start, rss %.1f MiB",
			      (double)cpu / 1e9,
			      (double)resident * (double)sysconf(_SC_PAGESIZE) / (1 << 20));
	last_wall = wall;
	last_cpu = cpu;
}

static struct qz_config *load(const char *path)
{
	struct qz_config_error err;
	struct qz_config *cfg;
	const char *text = qz_config__default_yaml();

	cfg = path ? qz_config__load_file(path, &err) :
		     qz_config__load_string(text, strlen(text), &err);
	if (!cfg)
		logger_printf(QZ_LOG_ERROR, "%s: %s", path ? path : "built-in config",
			      err.msg);
	return cfg;
}

static int reload(struct qz_agent *agent, const char *path)
{
	struct qz_config *cfg;
	char err[2048];
	int ret;

	logger_printf(QZ_LOG_INFO, "SIGHUP: reloading %s", path ? path : "the built-in config");
	cfg = load(path);
	if (!cfg) {
		logger_printf(QZ_LOG_ERROR, "reload failed, the running config stays");
		return -QZ_ERR_CONFIG;
	}
	ret = qz_agent__set_config(agent, cfg, err, sizeof(err));
	if (ret)
		logger_printf(QZ_LOG_ERROR, "reload failed, the running config stays: %s", err);
	else
		logger_printf(QZ_LOG_INFO, "reloaded %s", path ? path : "the built-in config");
	qz_config__free(cfg);
	return ret;
}

int cmd_agent(int argc, char **argv)
{
	struct daemon_args a = { 0 };
	const char *path;
	struct qz_config *cfg;
	struct qz_agent *agent;
	char err[2048];
	sigset_t set;
	int ret;

	for (int i = 1; i < argc; i++) {
		if (daemon_args_take(&a, argc, argv, &i))
			continue;
		if (!strcmp(argv[i], "--print-default")) {
			fputs(qz_config__default_yaml(), stdout);
			return 0;
		}
		return daemon_args_help_or_refuse("agent", argv[i], usage);
	}
	path = a.path;
	logger_init(a.journal, a.verbose ? QZ_LOG_DEBUG : QZ_LOG_INFO);

	/* Every thread inherits this mask, so signals reach sigwaitinfo only. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);	/* never the default action: it would kill */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	cfg = load(path);
	if (!cfg)
		return 2;
	logger_set_level(a.verbose ? QZ_LOG_DEBUG : cfg->log_level);
	{
		QZ_OPTS(qz_agent_opts, opts, .log = logger_log, .debug = logger_log);

		agent = qz_agent__new(&opts);
	}
	ret = agent ? qz_agent__set_config(agent, cfg, err, sizeof(err)) : -ENOMEM;
	if (ret) {
		logger_printf(QZ_LOG_ERROR, "%s: %s", path ? path : "built-in config",
			      agent ? err : strerror(ENOMEM));
		qz_agent__free(agent);
		qz_config__free(cfg);
		return 2;
	}
	if (a.check) {
		printf("%s: OK, %zu collectors, %zu sinks\n", path ? path : "built-in config",
		       cfg->n_collectors, cfg->n_sinks);
		qz_agent__shutdown(agent, 0);
		qz_agent__free(agent);
		qz_config__free(cfg);
		return 0;
	}
	qz_config__free(cfg);
	ret = qz_agent__start(agent);
	if (ret) {
		logger_printf(QZ_LOG_ERROR, "cannot start: %s", qz_strerror(ret));
		qz_agent__free(agent);
		return 1;
	}

	for (;;) {
		siginfo_t info;
		int sig = sigwaitinfo(&set, &info);

		if (sig == SIGHUP) {
			reload(agent, path);
		} else if (sig == SIGUSR1) {
			qz_agent__log_status(agent);
		} else if (sig == SIGUSR2) {
			log_usage();
		} else if (sig == SIGINT || sig == SIGTERM) {
			logger_printf(QZ_LOG_INFO, "%s: stopping; final reports go out or to the spool",
				      strsignal(sig));
			break;
		}
	}
	/* Final reports made: say what each collector made, then deliver. */
	qz_agent__stop(agent);
	qz_agent__log_status(agent);
	ret = qz_agent__shutdown(agent, SHUTDOWN_DEADLINE_MS);
	qz_agent__free(agent);
	logger_flush();
	return ret ? 1 : 0;
}
