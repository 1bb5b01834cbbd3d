// SPDX-License-Identifier: MIT
/*
 * A workload (-- cmd) runs with default signal dispositions: quazar
 * ignores SIGPIPE for itself (a closed pipe is an error it reports), and
 * the command must not inherit that, or `cmd | head` never ends it.
 */
#include <signal.h>
#include <sys/wait.h>
#include <quazar/workload.h>
#include "../test.h"

static void test_sigpipe_default(void)
{
	char *argv[] = { "sh", "-c", "kill -PIPE $$; exit 3", NULL };
	struct qz_workload *wl;
	int status = 0;

	signal(SIGPIPE, SIG_IGN);	/* as the CLI and the agent do */
	wl = qz_workload__prepare(argv);
	CHECK(wl);
	if (!wl)
		return;
	CHECK_EQ(qz_workload__start(wl), 0);
	CHECK_EQ(qz_workload__wait(wl, false, &status), 1);
	if (!WIFSIGNALED(status))
		fprintf(stderr, "the workload exited %d: SIGPIPE was ignored\n",
			WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE);
	qz_workload__free(wl);
}

int main(void)
{
	RUN(test_sigpipe_default);
	return test_result();
}
