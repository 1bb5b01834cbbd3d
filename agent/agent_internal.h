/* SPDX-License-Identifier: MIT */
#ifndef QUAZAR_AGENT_INTERNAL_H
#define QUAZAR_AGENT_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "agent.h"
#include "http.h"
#include <quazar/output.h>
#include "profiler.h"
#include <quazar/session.h>
#include "sink.h"
#include "internal.h"

/* What /healthz remembers of a sink's drops between two requests. */
struct health_drops {
	uint64_t seen;		/* spool_dropped at the last check */
	uint64_t base;		/* spool_dropped when the window began */
	long long at_ms;	/* when it last grew (monotonic); 0: never */
};

/* A sink shared by the collectors that name it. */
struct agent_sink {
	struct qz_agent *agent;
	char *name;
	char *signature;	/* its config, to notice a change on reload */
	char *key;		/* Kafka key from the config, or NULL */
	struct qz_sink *sink;
	int users;
	struct health_drops drops;	/* under agent->lock */
	bool disk;			/* Kafka with durability disk */
	char *last_spooled;		/* at open: the newest report in its spool */
};

/*
 * A collector's seq, kept by name so it carries on across reloads, and how
 * far its reports are safe (settled by their sink: written, acked or
 * spooled). With global.state_dir both are in its state file, so the next
 * start can count the reports a crash caught in memory.
 */
struct agent_seq {
	char *name;
	/* A leaf lock: taken under the agent's and the sinks' locks. */
	pthread_mutex_t lock;
	uint64_t seq;			/* the last one made; also under agent->lock */
	uint64_t durable;		/* every seq up to this one is settled */
	uint64_t *ahead;		/* settled ones past durable + 1, sorted */
	size_t nr_ahead, cap_ahead;
	/* At start: seqs the last run made but had not settled. */
	uint64_t crash_gap;
	int fd;				/* its state file, or -1 */
};

struct collector {
	struct qz_agent *agent;
	char *name;
	char *signature;
	struct agent_sink *sink;
	struct agent_seq *seq;		/* in agent->seqs */
	char **argv;			/* as `quazar PROFILER ...` would get */
	int argc;
	const struct qz_profiler *prof;
	struct qz_profiler_args *args;
	struct qz_env *env;		/* args->env */
	struct qz_output *out;
	struct qz_session *session;
	pthread_t thread;
	bool running;			/* the thread exists (until joined); atomic */
	int exit_err;
	/* The session's ready callback: events open (0) or failed. */
	pthread_mutex_t ready_lock;
	pthread_cond_t ready_cond;
	bool ready;
	int start_err;
	bool exited;			/* the session's run returned */
	uint64_t interval_start;	/* wall clock, ns */
	/* The collector thread's: the seq of the report being made, and of
	 * the last one delivered to the sink. */
	uint64_t made, delivered;
	/* Under agent->lock: */
	char *latest;			/* the last report line */
	uint64_t reports;
};

struct qz_agent {
	struct qz_logger log, debug;
	int probe_timeout_ms;
	pthread_mutex_t lock;
	char *host;
	char *labels_json;		/* {"k":"v",...} or NULL */
	char **info_labels;		/* "host", host, label, value, ..., NULL */
	char *http_listen;		/* TCP, or NULL */
	char *http_socket;		/* unix socket path, or NULL */
	char *http_token;		/* from global.http_token_file, or NULL */
	bool http_kernel_addrs;		/* /data keeps kernel addresses */
	struct qz_http *http;		/* on http_listen */
	struct qz_http *http_unix;	/* on http_socket */
	struct collector **collectors;
	size_t nr_collectors;
	struct agent_sink **sinks;
	size_t nr_sinks;
	struct agent_seq **seqs;		/* each allocated alone: collectors point in */
	size_t nr_seqs;
	bool started;
};

/*
 * One field of a reload signature, length first: "LEN:TEXT". A separator
 * alone ('|') can be in the values, and two configs then read alike.
 */
static inline void qz_sig_put(FILE *f, const char *tag, const char *s)
{
	s = s ? s : "";
	fprintf(f, "%s%zu:%s", tag, strlen(s), s);
}

/* seq_state.c: a collector's seq, and its state file in state_dir. */
struct agent_seq *qz_seq__new(const char *name);
void qz_seq__free(struct agent_seq *s);
/*
 * Open NAME's file in dir and carry on from what it holds; a gap the last
 * run left (seqs made, never settled) is logged and kept in crash_gap.
 * Logged when the file cannot be used: the seq starts at 1.
 */
void qz_seq__open_state(struct qz_agent *a, struct agent_seq *s, const char *dir);
/* Carry on after seq at least (one found in a spool). */
void qz_seq__raise(struct qz_agent *a, struct agent_seq *s, uint64_t seq, const char *where);
/* The next seq; kept in the state file now when keep, else when settled
 * (durability disk: nothing leaves before it is spooled). */
uint64_t qz_seq__next(struct agent_seq *s, bool keep);
/* The sinks' settled callback; owner is the agent_seq. */
void qz_seq__settled(void *owner, uint64_t seq, int err);

/* collector.c */
struct collector *qz_collector__new(struct qz_agent *agent,
				const struct qz_config_collector *cfg,
				struct agent_sink *sink, struct agent_seq *seq,
				char *err, size_t err_len);
int qz_collector__start(struct collector *c);
void qz_collector__stop(struct collector *c);
void qz_collector__free(struct collector *c);
char *qz_collector__signature(const struct qz_config *cfg,
			  const struct qz_config_collector *col);
/* Options and selectors; with open_check, also open its events once. */
int qz_collector__validate(const struct qz_config_collector *col, bool open_check,
		       char *err, size_t err_len);

/* agent_http.c */
/* Serve on http_listen and http_socket, those not served yet. */
int qz_agent_http__start(struct qz_agent *agent);
void qz_agent_http__stop(struct qz_agent *agent);
/* The token in path (surrounding whitespace dropped); err says why not. */
int qz_agent_http__read_token(struct qz_agent *agent, const char *path, char **token,
			      char *err, size_t err_len);

/* agent_health.c: the reasons /healthz gives, each a JSON object added to
 * the array j; each returns how many it added. */
#define QZ_HEALTH_SPOOL_PCT 90		/* a spool above this is unhealthy */
#define QZ_HEALTH_DROP_WINDOW_MS 60000	/* drops count for this long */
int qz_health__collector(struct qz_json *j, const char *name, int exit_err);
/* now_ms: CLOCK_MONOTONIC; d is updated. */
int qz_health__sink(struct qz_json *j, const char *name,
		    const struct qz_sink_stats *st, struct health_drops *d,
		    long long now_ms);
/* The page: every collector and sink of the agent (ctx). */
int qz_agent_health__page(struct qz_json *j, void *ctx);

/* redact.c: zeroes kernel addresses in JSON text, in place; the new length. */
size_t qz_redact_kernel_addrs(char *json, size_t len);

#endif
