/* SPDX-License-Identifier: MIT */
#ifndef QUAZAR_SESSION_INTERNAL_H
#define QUAZAR_SESSION_INTERNAL_H

#include <quazar/session.h>
#include <quazar/cpumap.h>
#include <quazar/threadmap.h>
#include <quazar/evsel.h>
#include <quazar/evlist.h>
#include <quazar/tasks.h>
#include <quazar/workload.h>
#include <quazar/tp.h>
#include <quazar/filter.h>
#include <quazar/stack.h>
#include "../internal.h"

#define MAX_SESSION_EVENTS 256
#define QZ_SESSION_MAX_CPUS 1024

struct session_event {
	struct qz_event_spec *spec;	/* borrowed from a selector */
	char *name;			/* alias, sys:name, or the text */
	struct qz_tp_event *tp;		/* tracepoints only (borrowed from tp) */
	struct qz_evsel *evsel;		/* owned by the evlist */
	struct qz_filter *user_filter;	/* when the kernel cannot filter */
	uint64_t sample_type;
	uint64_t regs_user;		/* sample_regs_user mask, 0 = none */
	int leader;			/* qz_session__set_group: its leader's index */
	bool member;			/* counted in leader's group, never sampled */
	struct qz_session *nest;	/* the nested session it runs in, or NULL */
	int nest_index;			/* its index there */
	bool borrowed_filter;		/* user_filter is the nested event's */
	int bpf_fd;			/* qz_session__set_bpf, or -1 */
	/* Set at open: where its samples' fields are, the sample they are
	 * parsed into (zeroed once: the layout writes only its fields) and
	 * the event the handler gets, which points at it. */
	struct qz_sample_layout *layout;
	struct qz_sample sample;
	struct qz_event event;
};

/* A handler running inside this session (qz_session__add_nested). */
struct session_nested {
	struct qz_session *s;
	void (*release)(void *arg);
	void *release_arg;
};

#define QZ_SESSION_MAX_FDS 8

/* qz_session__add_fd: the handler's own fds in the loop. */
struct session_fd {
	int fd;
	void (*fn)(void *ctx);
};

struct qz_session {
	const struct qz_session_ops *ops;
	const void *ops_opts;
	struct qz_env *env;
	struct qz_output *out;
	struct qz_logger log;
	void *ctx;			/* the handler's */
	void (*ready)(int err, void *ctx);
	void *ready_ctx;
	int (*check_spec)(struct qz_session *s, const struct qz_event_spec *spec, void *ctx);
	int (*nest)(struct qz_session *s, const struct qz_event_spec *spec, void *ctx);
	void *hook_ctx;
	const char *const *nest_names;
	bool inited;			/* init ran, deinit has not */
	bool any_order;			/* it and every nested handler: see the loop */

	struct qz_session *parent;	/* nested in it: evlist and tasks are its */
	struct session_nested *nested;
	int nr_nested;

	struct qz_selector selectors[QZ_MAX_EVENT_ARGS * 2];
	int nr_selectors;
	struct session_event events[MAX_SESSION_EVENTS];
	int nr_events;
	bool counting;
	uint64_t period, freq;		/* qz_session__set_sampling */
	bool track_tasks;
	uint64_t sample_fields;		/* what the handler reads (layouts) */
	struct session_id {
		uint64_t id;
		struct session_event *ev;
	} last,				/* the last id ids lacked, and its event */
	  *ids;				/* every kernel id at open: open addressing */
	uint64_t ids_mask;		/* slots - 1, a power of two */

	struct qz_tp *tp;
	struct qz_evlist *evlist;
	struct qz_tasks *tasks;
	struct qz_symbolizer *sym;	/* when the handler asked for it */
	struct qz_workload *workload;

	struct qz_filter **exprs;	/* attrs' expressions: role=, key=, top-by= */
	int nr_exprs;
	struct qz_symbolizer *ksyms;	/* ksymbol() in expressions, made on demand */
	struct qz_tasks *expr_tasks;	/* comm_get() without task tracking */

	int stop_fd;			/* eventfd: stop or a request */
	int stopping;			/* atomic: set by qz_session__stop */
	unsigned requests;		/* atomic: QZ_SESSION_* asked for */
	struct qz_output *status_out;	/* borrowed; NULL: out */
	void (*tick)(void *ctx);	/* qz_session__set_tick */
	uint64_t tick_ns;
	bool system_wide;		/* qz_session__set_system_wide */
	struct session_self *self;	/* session_self.c */
	int cur_ring;			/* of the record being dispatched */
	struct session_follow *follow;	/* session_follow.c: --ptrace */
	struct {
		uint64_t samples, filtered, lost, late, dropped;
		uint64_t lost_per_cpu[QZ_SESSION_MAX_CPUS];
	} stats;
	uint64_t throttled;		/* THROTTLE records seen */
	struct session_fd fds[QZ_SESSION_MAX_FDS];
	int nr_fds;
};

/* session.c: what expressions may call (ksymbol(), comm_get()). */
void qz__session_expr_opts(struct qz_session *s, const struct qz_event_spec *spec,
			   unsigned flags, struct qz_filter_opts *opts);

/* session.c */
int qz__session_add_event(struct qz_session *s, struct qz_event_spec *spec,
			  struct qz_tp_event *tp, uint64_t sample_type);

/* session_open.c */
int qz__session_open(struct qz_session *s);
/* Fork the -- cmd workload (held before exec) once; 0, -ESRCH or -errno. */
int qz__session_workload(struct qz_session *s);

struct qz_evsel *qz__session_new_evsel(struct qz_session *s, struct session_event *ev,
				       char *errbuf, size_t errlen);
int qz__session_only_cpus(struct qz_session *s, const char *list,
			  struct qz_evsel *evsel, char *errbuf, size_t errlen);
int qz__session_setup_filter(struct qz_session *s, struct session_event *ev);

/* session_nest.c: handlers inside a session. */
bool qz__nest_sample(struct qz_session *s, const struct session_event *ev,
		     const struct qz_sample *sample);
/* After open: nested sessions see the evlist and the tasks. */
void qz__nest_opened(struct qz_session *s);
void qz__nest_lost(struct qz_session *s, int cpu, uint64_t lost);
void qz__nest_deinit(struct qz_session *s);
void qz__nest_free(struct qz_session *s);

/* The slot a kernel id hashes to in ids (Fibonacci hashing). */
static inline uint64_t qz__session_id_slot(const struct qz_session *s, uint64_t id)
{
	return (id * 0x9e3779b97f4a7c15ull >> 32) & s->ids_mask;
}

/* session_loop.c */
int qz__session_loop(struct qz_session *s);

/* session_self.c: status, usage, --perfeval-*, --sampling-limit */
int qz__self_init(struct qz_session *s);
void qz__self_free(struct qz_session *s);
bool qz__self_over_limit(struct qz_session *s, const struct qz_sample *smp);
bool qz__self_perfeval(const struct qz_session *s);
void qz__self_sample(struct qz_session *s, const struct qz_event *ev);
void qz__self_perfeval_report(struct qz_session *s, bool final);
void qz__self_usage(struct qz_session *s);
void qz__self_status(struct qz_session *s);

/* session_follow.c: --ptrace */
int qz__follow_start(struct qz_session *s);
void qz__follow_poll(struct qz_session *s);
void qz__follow_free(struct qz_session *s);

#endif
