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

static void on_signal(int sig)
{
	(void)sig;
	if (running)
		qz_session__stop(running);
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
	signal(SIGPIPE, SIG_IGN);	/* a closed pipe becomes EPIPE */
}

static void log_stderr(enum qz_log_level level, const char *msg, void *ctx)
{
	int verbose = *(int *)ctx;
	static const char *const prefix[] = { "error: ", "warning: ", "", "debug: " };

	if ((level == QZ_LOG_INFO && verbose < 1) ||
	    (level == QZ_LOG_DEBUG && verbose < 2))
		return;
	fprintf(stderr, "quazar: %s%s\n", prefix[level], msg);
}

int run_profiler(const struct qz_profiler *prof, int argc, char **argv)
{
	char err[512];
	struct qz_profiler_args *args;
	struct qz_env *env;
	struct qz_output *out = NULL;
	struct qz_session *s = NULL;
	FILE *file = stdout;
	int verbose = 0, ret = 1;

	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			qz_profiler__usage(prof, stdout);
			return 0;
		}
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
	verbose = env->verbose;
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
		QZ_OPTS(qz_session_opts, sopts, .log = log_stderr, .log_ctx = &verbose);

		out = qz_output__new(&oopts);
		s = out ? qz_profiler_args__session(args, out, &sopts) : NULL;
	}
	if (!s) {
		fprintf(stderr, "quazar %s: %s\n", prof->name, strerror(errno));
		goto out;
	}
	running = s;
	install_signals();
	ret = qz_session__run(s) ? 1 : 0;
	running = NULL;
	if (fflush(file) || qz_output__error(out)) {
		fprintf(stderr, "quazar %s: error writing output: %s\n", prof->name,
			qz_strerror(qz_output__error(out) ?: -errno));
		ret = 1;
	}
out:
	qz_session__free(s);
	qz_output__free(out);
	if (file && file != stdout)
		fclose(file);
	qz_profiler_args__free(args);
	return ret;
}
