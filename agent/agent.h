/* SPDX-License-Identifier: MIT */
/*
 * The collector daemon as a library. An agent runs the collectors of a
 * config, each a profiler session on its own thread at its own interval,
 * and sends every report, as one JSON line with an envelope, to the
 * collector's sink. The `quazar agent` command is a thin user of this.
 *
 *	struct qz_agent *a = qz_agent__new(&opts);
 *	qz_agent__set_config(a, cfg, err, sizeof(err));  // validated, then applied
 *	qz_agent__start(a);
 *	...                                              // set_config again to reload
 *	qz_agent__shutdown(a, 10000);                    // final reports delivered or spooled
 *	qz_agent__free(a);
 */
#ifndef QUAZAR_AGENT_H
#define QUAZAR_AGENT_H

#include <stdint.h>
#include <quazar/common.h>
#include "config.h"
#include <quazar/json.h>

#ifdef __cplusplus
extern "C" {
#endif

struct qz_agent;

struct qz_agent_opts {
	size_t sz;
	/* Errors, warnings and information. */
	qz_log_fn log;
	void *log_ctx;
	/* Debug data: each report as it is sent, session details. */
	qz_log_fn debug;
	void *debug_ctx;
	/* Check Kafka brokers at start and on reload, for this long; 0: 5000. */
	int probe_timeout_ms;
};

struct qz_agent *qz_agent__new(const struct qz_agent_opts *opts);
/* Shuts down with a 10 s deadline if still running; accepts NULL. */
void qz_agent__free(struct qz_agent *agent);

/*
 * Check cfg whole (profilers, options, selectors, sinks, brokers) and only
 * then apply it: added collectors start, removed ones stop after their
 * final report, changed ones restart, unchanged ones keep running; seq
 * numbers carry on. On error nothing changes and err says why, naming the
 * collector or sink. cfg is copied from; the caller keeps it.
 */
int qz_agent__set_config(struct qz_agent *agent,
				const struct qz_config *cfg, char *err,
				size_t err_len);
/* Start the collectors and the HTTP endpoint. */
int qz_agent__start(struct qz_agent *agent);
/* Stop collectors (each makes its final report), keeping the sinks. */
int qz_agent__stop(struct qz_agent *agent);
/*
 * Stop, then close every sink within deadline_ms: reports not delivered
 * by then go to the spool. Returns the number of reports lost (0).
 */
int qz_agent__shutdown(struct qz_agent *agent, int deadline_ms);

/* The latest report of each collector: {"collector name": {...}, ...};
 * kernel addresses zeroed unless global.http_kernel_addrs. */
int qz_agent__get_data(struct qz_agent *agent, struct qz_json *j);
/* Log one status line per collector and sink (for SIGUSR1). */
void qz_agent__log_status(struct qz_agent *agent);
/* The HTTP endpoint's TCP port, or -1 when there is none. */
int qz_agent__http_port(const struct qz_agent *agent);

#ifdef __cplusplus
}
#endif

#endif
