// SPDX-License-Identifier: MIT
/*
 * Log lines with a time and level, to stderr or the journal. The same
 * error repeated within a window is held back and counted, so a broker
 * outage does not flood the log.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <syslog.h>
#include <systemd/sd-journal.h>
#include "logger.h"

#define REPEAT_WINDOW_S 10

static struct {
	pthread_mutex_t lock;
	bool journal;
	enum qz_log_level level;
	char last[512];
	time_t last_at;
	unsigned repeats;
} logger = { .lock = PTHREAD_MUTEX_INITIALIZER, .level = QZ_LOG_INFO };

static const char *const level_names[] = { "error", "warning", "info", "debug" };

void logger_init(bool journal, enum qz_log_level level)
{
	logger.journal = journal;
	logger.level = level;
}

void logger_set_level(enum qz_log_level level)
{
	logger.level = level;
}

static void emit(enum qz_log_level level, const char *msg)
{
	static const int priority[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char stamp[32];
	struct timespec ts;
	struct tm tm;

	if (logger.journal) {
		/*
		 * The identifier journalctl shows (and -t matches), else it
		 * shows the process's name: quazar-fleet, which quazar execs.
		 */
		sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%i", priority[level],
				"SYSLOG_IDENTIFIER=quazar", NULL);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ quazar %s: %s\n", stamp, ts.tv_nsec / 1000000,
		level_names[level], msg);
}

static void flush_repeats(void)
{
	char line[600];

	if (!logger.repeats)
		return;
	snprintf(line, sizeof(line), "last message repeated %u more times: %s",
		 logger.repeats, logger.last);
	logger.repeats = 0;
	emit(QZ_LOG_WARN, line);
}

void logger_log(enum qz_log_level level, const char *msg, void *ctx)
{
	time_t now = time(NULL);

	(void)ctx;
	if (level > logger.level)
		return;
	pthread_mutex_lock(&logger.lock);
	if (level <= QZ_LOG_WARN && !strncmp(msg, logger.last, sizeof(logger.last) - 1) &&
	    now - logger.last_at < REPEAT_WINDOW_S) {
		logger.repeats++;
		pthread_mutex_unlock(&logger.lock);
		return;
	}
	flush_repeats();
	if (level <= QZ_LOG_WARN) {
		snprintf(logger.last, sizeof(logger.last), "%s", msg);
		logger.last_at = now;
	}
	emit(level, msg);
	pthread_mutex_unlock(&logger.lock);
}

void logger_printf(enum qz_log_level level, const char *fmt, ...)
{
	char line[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	logger_log(level, line, NULL);
}

void logger_flush(void)
{
	pthread_mutex_lock(&logger.lock);
	flush_repeats();
	pthread_mutex_unlock(&logger.lock);
}
