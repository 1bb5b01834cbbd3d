// SPDX-License-Identifier: MIT
/*
 * The agent: sinks and collectors from a config, applied live. A new
 * config is checked whole before anything changes, so a bad reload leaves
 * the running one alone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "agent_internal.h"

#define DEFAULT_PROBE_MS 5000
#define RELOAD_CLOSE_MS 10000

struct qz_agent *qz_agent__new(const struct qz_agent_opts *opts)
{
	struct qz_agent *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->log.fn = QZ_OPT(opts, log, NULL);
	a->log.ctx = QZ_OPT(opts, log_ctx, NULL);
	a->debug.fn = QZ_OPT(opts, debug, NULL);
	a->debug.ctx = QZ_OPT(opts, debug_ctx, NULL);
	a->probe_timeout_ms = QZ_OPT(opts, probe_timeout_ms, 0) ?: DEFAULT_PROBE_MS;
	pthread_mutex_init(&a->lock, NULL);
	return a;
}

static void free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* Close and free a sink; returns how many reports it lost. */
static int sink_release(struct qz_agent *a, struct agent_sink *s, int deadline_ms)
{
	struct qz_sink_stats st = { .sz = sizeof(st) };
	int lost;

	if (!s)
		return 0;
	lost = qz_sink__close(s->sink, deadline_ms);
	qz_sink__stats(s->sink, &st);
	if (st.written || st.spool_records)
		qz_log(&a->log, QZ_LOG_INFO,
	       "sink '%s' closed: %llu written, %llu delivered, %llu in spool, %d lost, %llu possible duplicates",
	       s->name, (unsigned long long)st.written, (unsigned long long)st.delivered,
	       (unsigned long long)st.spool_records, lost > 0 ? lost : 0,
	       (unsigned long long)st.possible_dups);
	if (lost > 0)
		qz_log(&a->log, QZ_LOG_ERROR,
		       "sink '%s': %d reports could be neither delivered nor spooled",
		       s->name, lost);
	qz_sink__free(s->sink);
	free(s->name);
	free(s->signature);
	free(s->key);
	free(s->last_spooled);
	free(s);
	return lost > 0 ? lost : 0;
}

void qz_agent__free(struct qz_agent *a)
{
	if (!a)
		return;
	qz_agent__shutdown(a, RELOAD_CLOSE_MS);
	for (size_t i = 0; i < a->nr_seqs; i++)
		qz_seq__free(a->seqs[i]);
	free(a->seqs);
	free(a->collectors);
	free(a->sinks);
	free(a->host);
	free(a->labels_json);
	free_strv(a->info_labels);
	free(a->http_listen);
	free(a->http_socket);
	free(a->http_token);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

static bool same_str(const char *x, const char *y)
{
	return x == y || (x && y && !strcmp(x, y));
}

static char *sink_signature(const struct qz_config *cfg,
			    const struct qz_config_sink *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fprintf(f, "%d|%llu|%u|%u|%llu|%d", s->type, (unsigned long long)s->max_bytes,
		s->max_files, s->message_timeout_ms, (unsigned long long)cfg->spool_max_bytes,
		s->durability_disk);
	qz_sig_put(f, "|", s->path);
	qz_sig_put(f, "|", s->brokers);
	qz_sig_put(f, "|", s->topic);
	qz_sig_put(f, "|", s->key);
	qz_sig_put(f, "|", s->compression);
	qz_sig_put(f, "|", s->acks);
	qz_sig_put(f, "|", cfg->spool_dir);
	for (size_t i = 0; i < s->n_properties; i++) {
		qz_sig_put(f, "|", s->properties[i].key);
		qz_sig_put(f, "=", s->properties[i].value);
	}
	fclose(f);
	return buf;
}

/* A sink's log lines name it: several sinks may be of one type. */
static void sink_log(enum qz_log_level level, const char *msg, void *ctx)
{
	struct agent_sink *as = ctx;

	qz_log(&as->agent->log, level, "sink '%s': %s", as->name, msg);
}

static struct qz_sink *open_sink(struct qz_agent *a, const struct qz_config *cfg,
				 const struct qz_config_sink *s,
				 struct agent_sink *as, char *err, size_t err_len)
{
	struct qz_sink *sink = NULL;

	switch (s->type) {
	case QZ_CONFIG_SINK_STDOUT: {
		QZ_OPTS(qz_sink_fd_opts, o, .log_fn = sink_log, .log_ctx = as);

		sink = qz_sink__new_stdout(&o);
		break;
	}
	case QZ_CONFIG_SINK_FILE: {
		QZ_OPTS(qz_sink_file_opts, o, .log_fn = sink_log, .log_ctx = as,
			.max_bytes = s->max_bytes, .max_files = s->max_files);

		sink = qz_sink__new_file(s->path, &o);
		break;
	}
	case QZ_CONFIG_SINK_KAFKA: {
		char spool[4096];
		const char **props = calloc(2 * s->n_properties + 1, sizeof(*props));
		int probe_ms;
		bool up;

		if (!props)
			return NULL;
		for (size_t i = 0; i < s->n_properties; i++) {
			props[2 * i] = s->properties[i].key;
			props[2 * i + 1] = s->properties[i].value;
		}
		/* Each Kafka sink spools into its own folder. */
		snprintf(spool, sizeof(spool), "%s/%s",
			 cfg->spool_dir ? cfg->spool_dir : QZ_CONFIG_SPOOL_DIR, s->name);
		mkdir(cfg->spool_dir ? cfg->spool_dir : QZ_CONFIG_SPOOL_DIR, 0750);
		QZ_OPTS(qz_sink_kafka_opts, o, .log_fn = sink_log, .log_ctx = as,
			.brokers = s->brokers, .topic = s->topic, .key = s->key,
			.compression = s->compression, .acks = s->acks,
			.properties = props, .spool_dir = spool,
			.spool_max_bytes = cfg->spool_max_bytes,
			.message_timeout_ms = s->message_timeout_ms,
			.durability_disk = s->durability_disk);
		struct qz_sink_stats st = { .sz = sizeof(st) };
		size_t len;

		sink = qz_sink__new_kafka(&o);
		free(props);
		if (!sink)
			break;
		probe_ms = s->probe_timeout_ms ? (int)s->probe_timeout_ms :
						 a->probe_timeout_ms;
		/* Its newest spooled report may be past its collector's state. */
		as->disk = s->durability_disk;
		if (as->disk)
			as->last_spooled = qz_sink__last_spooled(sink, &len);
		qz_sink__stats(sink, &st);
		up = !qz_sink__probe(sink, probe_ms);
		if (!up && st.reached_before) {
			/* It worked before: an outage, not a typo. Spool meanwhile. */
			qz_log(&a->log, QZ_LOG_WARN,
			       "sink '%s' (line %d): cannot reach Kafka brokers '%s' within %d ms; "
			       "they answered an earlier run with this spool, so it starts "
			       "anyway: reports go to the spool until they answer", s->name,
			       s->line, s->brokers, probe_ms);
		} else if (!up) {
			snprintf(err, err_len,
				 "sink '%s' (line %d): cannot reach Kafka brokers '%s' for topic '%s' within %d ms; check 'brokers' and the network",
				 s->name, s->line, s->brokers, s->topic, probe_ms);
			qz_sink__close(sink, 0);
			qz_sink__free(sink);
			free(as->last_spooled);
			as->last_spooled = NULL;
			errno = EHOSTUNREACH;
			return NULL;
		}
		break;
	}
	}
	if (!sink && !err[0])
		snprintf(err, err_len, "sink '%s' (line %d): %s", s->name, s->line,
			 qz_strerror(-errno));
	/* Before any write: reports settle into their collector's seq. */
	if (sink)
		qz_sink__set_settled(sink, qz_seq__settled);
	return sink;
}

static struct agent_sink *find_sink(struct agent_sink **list, size_t n,
				    const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] && !strcmp(list[i]->name, name))
			return list[i];
	return NULL;
}

static struct collector *find_collector(struct qz_agent *a, const char *name)
{
	for (size_t i = 0; i < a->nr_collectors; i++)
		if (!strcmp(a->collectors[i]->name, name))
			return a->collectors[i];
	return NULL;
}

/*
 * The seq in a spooled report of collector `name` (durability disk: the
 * newest one may be past the state file, written just after it); 0: none.
 */
static uint64_t spooled_seq(const char *report, const char *name)
{
	struct qz_json *j = qz_json__new();
	char needle[600];
	const char *at;
	uint64_t seq = 0;
	int n;

	if (!j)
		return 0;
	/* The envelope as collector.c writes it: "collector":NAME,"seq":N */
	qz_json__begin_object(j);
	qz_json__key_str(j, "collector", name);
	qz_json__end_object(j);
	n = snprintf(needle, sizeof(needle), "%.*s,\"seq\":", (int)qz_json__len(j) - 2,
		     qz_json__data(j) + 1);
	qz_json__free(j);
	if (n > 0 && (size_t)n < sizeof(needle) && (at = strstr(report, needle)))
		seq = strtoull(at + n, NULL, 10);
	return seq;
}

/*
 * A collector's seq, by name. Each lives in its own allocation: running
 * collectors hold a pointer to it, so growing the list must not move it.
 * sinks: the new config's, to look for a seq its state file missed.
 */
static struct agent_seq *seq_of(struct qz_agent *a, const struct qz_config *cfg,
			       const char *name, struct agent_sink **sinks)
{
	struct agent_seq **grown, *s;

	for (size_t i = 0; i < a->nr_seqs; i++)
		if (!strcmp(a->seqs[i]->name, name))
			return a->seqs[i];
	grown = realloc(a->seqs, (a->nr_seqs + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	a->seqs = grown;
	s = qz_seq__new(name);
	if (!s)
		return NULL;
	if (cfg->state_dir) {
		qz_seq__open_state(a, s, cfg->state_dir);
		for (size_t i = 0; i < cfg->n_sinks; i++)
			if (sinks[i] && sinks[i]->last_spooled)
				qz_seq__raise(a, s, spooled_seq(sinks[i]->last_spooled, name),
					      "its spool");
	}
	a->seqs[a->nr_seqs++] = s;
	return s;
}

static char *labels_json(const struct qz_config *cfg)
{
	struct qz_json *j;
	char *out;

	if (!cfg->n_labels)
		return NULL;
	j = qz_json__new();
	if (!j)
		return NULL;
	qz_json__begin_object(j);
	for (size_t i = 0; i < cfg->n_labels; i++)
		qz_json__key_str(j, cfg->labels[i].key, cfg->labels[i].value);
	qz_json__end_object(j);
	out = strdup(qz_json__data(j));
	qz_json__free(j);
	return out;
}

/* The labels of quazar_agent_info: host, then the config's labels. */
static char **info_labels(const struct qz_config *cfg)
{
	char **v = calloc(2 * cfg->n_labels + 3, sizeof(*v));
	size_t n = 0;

	if (!v)
		return NULL;
	v[n++] = strdup("host");
	v[n++] = strdup(cfg->host ? cfg->host : "localhost");
	for (size_t i = 0; i < cfg->n_labels; i++) {
		/* "host" is taken; a label of that name is a report field only. */
		if (!strcmp(cfg->labels[i].key, "host"))
			continue;
		v[n++] = strdup(cfg->labels[i].key);
		v[n++] = strdup(cfg->labels[i].value);
	}
	for (size_t i = 0; i < n; i++) {
		if (!v[i]) {
			for (size_t j = 0; j < n; j++)
				free(v[j]);
			free(v);
			return NULL;
		}
	}
	return v;
}

/* The sinks the new config needs: kept when unchanged, else opened. */
static int plan_sinks(struct qz_agent *a, const struct qz_config *cfg,
		      struct agent_sink **next, char *err, size_t err_len)
{
	for (size_t i = 0; i < cfg->n_sinks; i++) {
		const struct qz_config_sink *cs = &cfg->sinks[i];
		char *sig = sink_signature(cfg, cs);
		struct agent_sink *old = find_sink(a->sinks, a->nr_sinks, cs->name);
		struct agent_sink *s;

		if (!sig)
			return -ENOMEM;
		if (old && !strcmp(old->signature, sig)) {
			next[i] = old;
			free(sig);
			continue;
		}
		s = calloc(1, sizeof(*s));
		if (s) {
			s->name = strdup(cs->name);
			s->key = cs->key ? strdup(cs->key) : NULL;
			s->signature = sig;
			s->agent = a;
			s->sink = s->name ? open_sink(a, cfg, cs, s, err, err_len) : NULL;
		}
		if (!s || !s->sink) {
			if (s) {
				free(s->name);
				free(s->key);
				free(s);
			}
			free(sig);
			return -EINVAL;
		}
		next[i] = s;
	}
	return 0;
}

/* Undo plan_sinks: close the sinks it opened, not the ones it kept. */
static void drop_new_sinks(struct qz_agent *a, struct agent_sink **next, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (next[i] && find_sink(a->sinks, a->nr_sinks, next[i]->name) != next[i])
			sink_release(a, next[i], 0);
}

int qz_agent__set_config(struct qz_agent *a, const struct qz_config *cfg,
				char *err, size_t err_len)
{
	struct agent_sink **next_sinks = calloc(cfg->n_sinks + 1, sizeof(*next_sinks));
	struct collector **next = calloc(cfg->n_collectors + 1, sizeof(*next));
	struct collector **old_collectors;
	struct agent_sink **old_sinks;
	size_t nr_old_collectors, nr_old_sinks;
	char *token = NULL;
	int ret = 0;

	err[0] = 0;
	if (!next_sinks || !next) {
		free(next_sinks);
		free(next);
		return -ENOMEM;
	}
	if (cfg->http_token_file)
		ret = qz_agent_http__read_token(a, cfg->http_token_file, &token, err, err_len);
	/* 1. Check everything before touching what runs. */
	for (size_t i = 0; i < cfg->n_collectors && !ret; i++) {
		const struct qz_config_collector *cc = &cfg->collectors[i];
		struct collector *old = find_collector(a, cc->name);
		char *sig = qz_collector__signature(cfg, cc);
		bool same = old && sig && !strcmp(old->signature, sig);

		free(sig);
		ret = qz_collector__validate(cc, !same, err, err_len);
	}
	if (!ret)
		ret = plan_sinks(a, cfg, next_sinks, err, err_len);
	if (ret) {
		drop_new_sinks(a, next_sinks, cfg->n_sinks);
		free(next_sinks);
		free(next);
		free(token);
		return ret;
	}

	/* 2. Collectors: keep the unchanged, make the new and the changed. */
	for (size_t i = 0; i < cfg->n_collectors && !ret; i++) {
		const struct qz_config_collector *cc = &cfg->collectors[i];
		char *sig = qz_collector__signature(cfg, cc);
		struct collector *old = find_collector(a, cc->name);
		struct agent_sink *sink = NULL;

		for (size_t s = 0; s < cfg->n_sinks; s++)
			if (!strcmp(cfg->sinks[s].name, cc->sink ? cc->sink : "stdout"))
				sink = next_sinks[s];
		if (old && sig && !strcmp(old->signature, sig) && old->sink == sink) {
			next[i] = old;
			free(sig);
			continue;
		}
		next[i] = sink ? qz_collector__new(a, cc, sink,
						   seq_of(a, cfg, cc->name, next_sinks),
						   err, err_len) : NULL;
		if (!next[i]) {
			if (!err[0])
				snprintf(err, err_len, "collector '%s': no sink '%s'",
					 cc->name, cc->sink);
			free(sig);
			ret = -EINVAL;
			break;
		}
		next[i]->signature = sig;
	}
	if (ret) {
		for (size_t i = 0; i < cfg->n_collectors; i++)
			if (next[i] && find_collector(a, next[i]->name) != next[i])
				qz_collector__free(next[i]);
		drop_new_sinks(a, next_sinks, cfg->n_sinks);
		free(next_sinks);
		free(next);
		free(token);
		return ret;
	}

	/*
	 * 3. Apply. The lists change under the lock (the HTTP thread reads
	 * them); then old collectors that are not kept stop after a final
	 * report, into their sink, and only then are dropped sinks closed.
	 */
	pthread_mutex_lock(&a->lock);
	old_collectors = a->collectors;
	nr_old_collectors = a->nr_collectors;
	old_sinks = a->sinks;
	nr_old_sinks = a->nr_sinks;
	a->collectors = next;
	a->nr_collectors = cfg->n_collectors;
	a->sinks = next_sinks;
	a->nr_sinks = cfg->n_sinks;
	free(a->host);
	a->host = strdup(cfg->host ? cfg->host : "localhost");
	free(a->labels_json);
	a->labels_json = labels_json(cfg);
	free_strv(a->info_labels);
	a->info_labels = info_labels(cfg);
	a->http_kernel_addrs = cfg->http_kernel_addrs;
	pthread_mutex_unlock(&a->lock);
	for (size_t i = 0; i < nr_old_collectors; i++) {
		struct collector *c = old_collectors[i];
		bool kept = false;

		for (size_t j = 0; j < cfg->n_collectors; j++)
			kept |= next[j] == c;
		if (!kept) {
			qz_log(&a->log, QZ_LOG_INFO, "collector '%s' stops", c->name);
			qz_collector__free(c);
		} else if (c->prof->reload) {
			/* kvm reports its VMs again: the topic alone rebuilds them. */
			c->prof->reload(c->args->opts);
		}
	}
	for (size_t i = 0; i < nr_old_sinks; i++) {
		bool kept = false;

		for (size_t j = 0; j < cfg->n_sinks; j++)
			kept |= next_sinks[j] == old_sinks[i];
		if (!kept)
			sink_release(a, old_sinks[i], RELOAD_CLOSE_MS);
	}
	free(old_collectors);
	free(old_sinks);
	/* A changed address, socket or token restarts the endpoint. */
	if (!same_str(a->http_listen, cfg->http_listen) ||
	    !same_str(a->http_socket, cfg->http_socket) || !same_str(a->http_token, token)) {
		qz_agent_http__stop(a);
		free(a->http_listen);
		free(a->http_socket);
		free(a->http_token);
		a->http_listen = cfg->http_listen ? strdup(cfg->http_listen) : NULL;
		a->http_socket = cfg->http_socket ? strdup(cfg->http_socket) : NULL;
		a->http_token = token;
		token = NULL;
	}
	free(token);
	/*
	 * The new config is in place: an error now (checked above, so rare)
	 * is logged with the collector's name by start, and is not an error
	 * of set_config, whose errors mean "nothing changed".
	 */
	if (a->started)
		qz_agent__start(a);
	return 0;
}

int qz_agent__start(struct qz_agent *a)
{
	int ret = 0, err;

	a->started = true;
	ret = qz_agent_http__start(a);
	for (size_t i = 0; i < a->nr_collectors; i++) {
		struct collector *c = a->collectors[i];

		if (c->running)
			continue;
		qz_log(&a->log, QZ_LOG_INFO, "collector '%s' starts: %s every %llu ms",
		       c->name, c->prof->name,
		       (unsigned long long)(c->env->interval_ns / 1000000));
		err = qz_collector__start(c);
		if (err) {
			/* Checked by set_config, so rare: the others go on. */
			qz_log(&a->log, QZ_LOG_ERROR, "collector '%s' cannot start: %s",
			       c->name, qz_strerror(err));
			ret = ret ?: err;
		}
	}
	return ret;
}

int qz_agent__stop(struct qz_agent *a)
{
	for (size_t i = 0; i < a->nr_collectors; i++)
		qz_collector__stop(a->collectors[i]);
	a->started = false;
	return 0;
}

int qz_agent__shutdown(struct qz_agent *a, int deadline_ms)
{
	int lost = 0;

	qz_agent__stop(a);
	qz_agent_http__stop(a);
	for (size_t i = 0; i < a->nr_collectors; i++)
		qz_collector__free(a->collectors[i]);
	a->nr_collectors = 0;
	for (size_t i = 0; i < a->nr_sinks; i++)
		lost += sink_release(a, a->sinks[i], deadline_ms);
	a->nr_sinks = 0;
	return lost;
}

int qz_agent__get_data(struct qz_agent *a, struct qz_json *j)
{
	int err = 0;

	pthread_mutex_lock(&a->lock);
	qz_json__begin_object(j);
	for (size_t i = 0; i < a->nr_collectors && !err; i++) {
		struct collector *c = a->collectors[i];
		size_t len = c->latest ? strlen(c->latest) : 0;
		char *copy;

		qz_json__key(j, c->name);
		if (!c->latest) {
			qz_json__null(j);
		} else if (a->http_kernel_addrs) {
			qz_json__raw(j, c->latest, len);
		} else if ((copy = malloc(len + 1))) {
			/* Kernel addresses defeat KASLR: zeroed unless asked for. */
			memcpy(copy, c->latest, len);
			qz_json__raw(j, copy, qz_redact_kernel_addrs(copy, len));
			free(copy);
		} else {
			err = -ENOMEM;
		}
	}
	qz_json__end_object(j);
	pthread_mutex_unlock(&a->lock);
	return err ?: qz_json__error(j);
}

void qz_agent__log_status(struct qz_agent *a)
{
	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < a->nr_collectors; i++) {
		struct collector *c = a->collectors[i];

		qz_log(&a->log, QZ_LOG_INFO,
		       "collector '%s': %s, %s, seq %llu, %llu reports to sink '%s'",
		       c->name, c->prof->name, __atomic_load_n(&c->running, __ATOMIC_ACQUIRE) &&
		       !__atomic_load_n(&c->exited, __ATOMIC_ACQUIRE) ?
		       "running" : "stopped",
		       (unsigned long long)c->seq->seq, (unsigned long long)c->reports,
		       c->sink->name);
	}
	pthread_mutex_unlock(&a->lock);
	for (size_t i = 0; i < a->nr_sinks; i++) {
		struct qz_sink_stats st = { .sz = sizeof(st) };

		qz_sink__stats(a->sinks[i]->sink, &st);
		qz_log(&a->log, QZ_LOG_INFO,
		       "sink '%s' (%s): %llu written, %llu delivered, %llu queued, %llu in spool, %llu dropped from spool, %llu errors",
		       a->sinks[i]->name, qz_sink__type(a->sinks[i]->sink),
		       (unsigned long long)st.written, (unsigned long long)st.delivered,
		       (unsigned long long)st.queued, (unsigned long long)st.spool_records,
		       (unsigned long long)st.spool_dropped, (unsigned long long)st.errors);
	}
}

int qz_agent__http_port(const struct qz_agent *a)
{
	return a->http ? qz_http__port(a->http) : -1;
}
