// SPDX-License-Identifier: MIT
/*
 * A collector's seq, and how far its reports are safe. A report is safe
 * once its sink settled it: written out (file, stdout), acked by the
 * brokers or appended to the spool (Kafka), or given up on (an error the
 * sink logged and counted). Until then it is only in memory, and a crash
 * (kill -9) loses it.
 *
 * With global.state_dir, each collector's file holds two numbers, "MADE
 * SAFE": the last seq made and the last one up to which every report is
 * safe. One pwrite rewrites it in place, no rename. So seq carries on
 * across restarts, and the next start counts MADE - SAFE reports the crash
 * may have lost, with a log line and quazar_collector_crash_gap_total:
 * a gap is never silent.
 *
 * A seq is stored as made before its report is written, so a report that
 * may have left can never get its seq again. With durability disk nothing
 * leaves before it is spooled, so the seq is stored only once it is: a
 * report a crash catches before that was never anywhere, and its seq is
 * made again, with no gap.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "agent_internal.h"

#define STATE_TEXT_LEN 42	/* two 20-digit numbers, a space and a newline */
#define AHEAD_MAX 65536		/* settled out of order: kept at most */

struct agent_seq *qz_seq__new(const char *name)
{
	struct agent_seq *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->name = strdup(name);
	if (!s->name) {
		free(s);
		return NULL;
	}
	s->fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	return s;
}

void qz_seq__free(struct agent_seq *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	pthread_mutex_destroy(&s->lock);
	free(s->ahead);
	free(s->name);
	free(s);
}

/* Under s->lock. */
static void store(struct agent_seq *s)
{
	char text[STATE_TEXT_LEN + 1];

	if (s->fd < 0)
		return;
	snprintf(text, sizeof(text), "%020" PRIu64 " %020" PRIu64 "\n", s->seq, s->durable);
	(void)!pwrite(s->fd, text, STATE_TEXT_LEN, 0);
}

/* "seq.NAME", with bytes other than [A-Za-z0-9._-] as %XX. */
static void state_path(const char *dir, const char *name, char *path, size_t len)
{
	size_t n = (size_t)snprintf(path, len, "%s/seq.", dir);

	for (const unsigned char *p = (const unsigned char *)name; *p && n + 4 < len; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("._-", *p))
			path[n++] = (char)*p;
		else
			n += (size_t)snprintf(path + n, len - n, "%%%02X", *p);
	}
	path[n] = '\0';
}

/* "MADE SAFE\n", or "MADE\n" as an older agent wrote it (nothing unsafe). */
static bool parse_state(const char *text, uint64_t *made, uint64_t *safe)
{
	char *end;

	errno = 0;
	*made = strtoull(text, &end, 10);
	if (errno || end == text)
		return false;
	*safe = *made;
	if (*end == ' ') {
		const char *at = end + 1;

		*safe = strtoull(at, &end, 10);
		if (errno || end == at || *safe > *made)
			return false;
	}
	return *end == '\n';
}

void qz_seq__open_state(struct qz_agent *a, struct agent_seq *s, const char *dir)
{
	char path[4096], text[STATE_TEXT_LEN + 1] = "";
	uint64_t made = 0, safe = 0;
	ssize_t got;
	int fd;

	if (mkdir(dir, 0750) && errno != EEXIST)
		goto fail;
	state_path(dir, s->name, path, sizeof(path));
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		goto fail;
	got = pread(fd, text, STATE_TEXT_LEN, 0);
	if (got > 0 && !parse_state(text, &made, &safe)) {
		qz_log(&a->log, QZ_LOG_WARN,
		       "collector '%s': %s does not hold a seq (\"%.20s\"); seq starts again at 1",
		       s->name, path, text);
		made = safe = 0;
	}
	pthread_mutex_lock(&s->lock);
	s->fd = fd;
	s->crash_gap = made - safe;
	s->seq = s->durable = made;
	store(s);	/* counted now: not again after another crash */
	pthread_mutex_unlock(&s->lock);
	if (made > safe)
		qz_log(&a->log, QZ_LOG_WARN,
		       "collector '%s': the last run ended without a clean stop: seq %" PRIu64
		       "..%" PRIu64 " (%" PRIu64 " reports) were made but not yet written, acked "
		       "or spooled; they may be missing downstream", s->name, safe + 1, made,
		       made - safe);
	return;
fail:
	qz_log(&a->log, QZ_LOG_WARN,
	       "collector '%s': cannot keep its seq in %s (%s); it starts at 1 at each start",
	       s->name, dir, strerror(errno));
}

void qz_seq__raise(struct qz_agent *a, struct agent_seq *s, uint64_t seq, const char *where)
{
	pthread_mutex_lock(&s->lock);
	if (seq <= s->seq) {
		pthread_mutex_unlock(&s->lock);
		return;
	}
	s->seq = s->durable = seq;
	store(s);
	pthread_mutex_unlock(&s->lock);
	qz_log(&a->log, QZ_LOG_INFO,
	       "collector '%s': seq %" PRIu64 " is in %s, past its state file (a crash "
	       "between the two): it carries on after it", s->name, seq, where);
}

uint64_t qz_seq__next(struct agent_seq *s, bool keep)
{
	uint64_t seq;

	pthread_mutex_lock(&s->lock);
	seq = ++s->seq;
	if (keep)
		store(s);
	pthread_mutex_unlock(&s->lock);
	return seq;
}

/* Under s->lock: seq settled past durable + 1, kept in order. */
static void add_ahead(struct agent_seq *s, uint64_t seq)
{
	size_t i = s->nr_ahead;

	if (s->nr_ahead == s->cap_ahead) {
		size_t cap = s->cap_ahead ? s->cap_ahead * 2 : 16;
		uint64_t *v = cap <= AHEAD_MAX ? realloc(s->ahead, cap * sizeof(*v)) : NULL;

		/* Forgotten, durable stops short: a crash counts it, wrongly. */
		if (!v)
			return;
		s->ahead = v;
		s->cap_ahead = cap;
	}
	while (i && s->ahead[i - 1] > seq)
		i--;
	if (i && s->ahead[i - 1] == seq)
		return;
	memmove(s->ahead + i + 1, s->ahead + i, (s->nr_ahead - i) * sizeof(*s->ahead));
	s->ahead[i] = seq;
	s->nr_ahead++;
}

void qz_seq__settled(void *owner, uint64_t seq, int err)
{
	struct agent_seq *s = owner;
	size_t n = 0;

	(void)err;	/* the sink logged and counted what it gave up on */
	pthread_mutex_lock(&s->lock);
	if (seq == s->durable + 1) {
		s->durable++;
		while (n < s->nr_ahead && s->ahead[n] == s->durable + 1) {
			s->durable++;
			n++;
		}
		if (n) {
			memmove(s->ahead, s->ahead + n, (s->nr_ahead - n) * sizeof(*s->ahead));
			s->nr_ahead -= n;
		}
		store(s);
	} else if (seq > s->durable) {
		add_ahead(s, seq);
	}
	pthread_mutex_unlock(&s->lock);
}
