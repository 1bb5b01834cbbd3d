// SPDX-License-Identifier: MIT
/* `quazar <profiler> [options]`: one session on the main thread. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <quazar/session.h>
#include "profiler.h"
#include "commands.h"

static struct qz_session *running;

/*
 * Handlers only ask: the session's loop does the work on its own thread.
 * INT, TERM and HUP end the run with the final report (perf-prof gives
 * HUP no meaning of its own: it ends the run there too, see
 * docs/perf-prof.md); USR1 prints the profiler's state and USR2 quazar's
 * own resource use, to stderr, without stopping; CHLD tells --ptrace that
 * a followed task stopped.
 */
static void on_signal(int sig)
{
	int saved = errno;

	if (running) {
		if (sig == SIGUSR1)
			qz_session__request(running, QZ_SESSION_STATUS);
		else if (sig == SIGUSR2)
			qz_session__request(running, QZ_SESSION_USAGE);
		else if (sig == SIGCHLD)
			qz_session__request(running, QZ_SESSION_CHILD);
		else
			qz_session__stop(running);
	}
	errno = saved;
}

/*
 * Our own handlers: a program started in the background by a shell
 * inherits SIGINT ignored, and Ctrl-C must still give the final report.
 */
static void install_signals(void)
{
	/* SA_RESTART: a signal must not cut a write of the output short. */
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);	/* --ptrace, task-state -- cmd */
	signal(SIGPIPE, SIG_IGN);	/* a closed pipe becomes EPIPE */
}

static void restore_signals(void)
{
	signal(SIGUSR1, SIG_IGN);	/* late ones must not kill us either */
	signal(SIGUSR2, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
}

static void log_stderr(enum qz_log_level level, const char *msg, void *ctx)
{
	int verbose = *(int *)ctx;	/* -1: -q, errors only */
	static const char *const prefix[] = { "error: ", "warning: ", "", "debug: " };

	if ((level == QZ_LOG_WARN && verbose < 0) ||
	    (level == QZ_LOG_INFO && verbose < 1) ||
	    (level == QZ_LOG_DEBUG && verbose < 2))
		return;
	fprintf(stderr, "quazar: %s%s\n", prefix[level], msg);
}

int run_profiler(const struct qz_profiler *prof, int argc, char **argv)
{
	char err[512];
	struct qz_profiler_args *args;
	struct qz_env *env;
	struct qz_output *out = NULL, *status = NULL;
	struct qz_session *s = NULL;
	FILE *file = stdout;
	int verbose = 0, ret = 1;

	/* From the start: a SIGUSR1 or SIGUSR2 while setting up must not kill us. */
	install_signals();
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			qz_profiler__usage(prof, stdout);
			return 0;
		}
		if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			printf("quazar %s\n", QUAZAR_VERSION);
			return 0;
		}
	}
	/* perf-prof's `trace -e EVENT help`: what the events are made of. */
	if (argc > 1 && !strcmp(argv[argc - 1], "help")) {
		args = qz_profiler_args__parse(prof, argc - 1, argv, err, sizeof(err));
		if (!args) {
			fprintf(stderr, "quazar %s: %s\n", prof->name, err);
			return 2;
		}
		ret = 0;
		if (!args->env->events.n)
			qz_profiler__usage(prof, stdout);
		for (int i = 0; i < args->env->events.n; i++)
			if (describe_events(args->env->events.v[i], args->env->json))
				ret = 1;
		qz_profiler_args__free(args);
		return ret;
	}
	args = qz_profiler_args__parse(prof, argc, argv, err, sizeof(err));
	if (!args) {
		fprintf(stderr, "quazar %s: %s\n", prof->name, err);
		return 2;
	}
	if (prof->command && (ret = prof->command(args, stdout, stderr)) >= 0)
		goto out;
	ret = 1;
	env = args->env;
	verbose = env->quiet ? -1 : env->verbose;
	if (env->output) {
		file = fopen(env->output, "we");
		if (!file) {
			fprintf(stderr, "quazar %s: cannot write -o '%s': %s\n",
				prof->name, env->output, strerror(errno));
			goto out;
		}
		/* Few, large writes: a file is not read line by line as it grows. */
		setvbuf(file, NULL, _IOFBF, 1 << 20);
	}
	{
		QZ_OPTS(qz_output_opts, oopts, .file = file, .json = env->json);
		/* Status, usage and perfeval lines: text on stderr, as perf-prof's. */
		QZ_OPTS(qz_output_opts, stopts, .file = stderr);

		out = qz_output__new(&oopts);
		status = qz_output__new(&stopts);
		{
			QZ_OPTS(qz_session_opts, sopts, .log = log_stderr, .log_ctx = &verbose,
				.status_out = status);

			s = out && status ? qz_profiler_args__session(args, out, &sopts) : NULL;
		}
	}
	if (!s) {
		fprintf(stderr, "quazar %s: %s\n", prof->name, strerror(errno));
		goto out;
	}
	running = s;
	ret = qz_session__run(s) ? 1 : 0;
	restore_signals();
	running = NULL;
	if (fflush(file) || qz_output__error(out)) {
		fprintf(stderr, "quazar %s: error writing output: %s\n", prof->name,
			qz_strerror(qz_output__error(out) ?: -errno));
		ret = 1;
	}
out:
	qz_session__free(s);
	qz_output__free(status);
	qz_output__free(out);
	if (file && file != stdout)
		fclose(file);
	qz_profiler_args__free(args);
	return ret;
}
