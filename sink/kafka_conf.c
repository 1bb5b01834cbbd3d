// SPDX-License-Identifier: MIT
/*
 * The Kafka sink's librdkafka configuration, and where librdkafka's own
 * errors and log lines go: the sink's logger.
 */
#include <errno.h>
#include <stdio.h>
#include <librdkafka/rdkafka.h>
#include "sink_internal.h"
#include "kafka_internal.h"

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct qz_sink *s = opaque;
	bool fatal = err == RD_KAFKA_RESP_ERR__FATAL;
	char why[256];

	if (fatal)
		rd_kafka_fatal_error(rk, why, sizeof(why));
	qz_log(&s->log, fatal ? QZ_LOG_ERROR : QZ_LOG_WARN, "kafka: %s: %s",
	       rd_kafka_err2name(err), fatal ? why : reason);
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac,
		   const char *buf)
{
	struct qz_sink *s = rd_kafka_opaque(rk);

	/* Syslog levels; errors also come through on_error: warn at most. */
	qz_log(&s->log, level <= 4 ? QZ_LOG_WARN :
	       level <= 6 ? QZ_LOG_INFO : QZ_LOG_DEBUG, "kafka: %s: %s", fac, buf);
}

static int conf_set(struct qz_sink *s, rd_kafka_conf_t *conf,
		    const char *name, const char *value)
{
	char errstr[512];

	if (rd_kafka_conf_set(conf, name, value, errstr, sizeof(errstr)) ==
	    RD_KAFKA_CONF_OK)
		return 0;
	qz_log(&s->log, QZ_LOG_ERROR, "kafka sink: %s=%s: %s", name, value,
	       errstr);
	return -EINVAL;
}

/* The caller's properties (security, tuning) go last: they may tune anything. */
static int set_properties(struct qz_sink *s, rd_kafka_conf_t *conf,
			  const char *const *props)
{
	int err = 0;

	for (; props && props[0]; props += 2) {
		if (!props[1]) {
			qz_log(&s->log, QZ_LOG_ERROR,
			       "kafka sink: property %s has no value", props[0]);
			return -EINVAL;
		}
		err |= conf_set(s, conf, props[0], props[1]);
	}
	return err;
}

static void set_callbacks(struct qz_sink *s, rd_kafka_conf_t *conf)
{
	rd_kafka_conf_set_opaque(conf, s);
	rd_kafka_conf_set_error_cb(conf, on_error);
	rd_kafka_conf_set_log_cb(conf, on_log);
}

rd_kafka_conf_t *qz_kafka_reader_conf(struct qz_sink *s, const struct qz_sink_kafka_opts *o)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	int err = 0;

	if (!conf)
		return NULL;
	err |= conf_set(s, conf, "bootstrap.servers", o->brokers);
	err |= conf_set(s, conf, "enable.partition.eof", "true");
	err |= set_properties(s, conf, QZ_OPT(o, properties, NULL));
	if (err) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	set_callbacks(s, conf);
	return conf;
}

rd_kafka_conf_t *qz_kafka_conf(struct qz_sink *s, const struct qz_sink_kafka_opts *o,
			       void (*dr)(rd_kafka_t *, const rd_kafka_message_t *, void *))
{
	unsigned int timeout = QZ_OPT(o, message_timeout_ms, 0) ?: 30000;
	const char *acks = QZ_OPT(o, acks, NULL);
	const char *codec = QZ_OPT(o, compression, NULL);
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char num[32];
	int err = 0;

	if (!conf)
		return NULL;
	snprintf(num, sizeof(num), "%u", timeout);
	err |= conf_set(s, conf, "bootstrap.servers", o->brokers);
	err |= conf_set(s, conf, "enable.idempotence", "true");
	err |= conf_set(s, conf, "acks", acks ? acks : "all");
	err |= conf_set(s, conf, "compression.codec", codec ? codec : "none");
	err |= conf_set(s, conf, "message.timeout.ms", num);
	err |= set_properties(s, conf, QZ_OPT(o, properties, NULL));
	if (err) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	set_callbacks(s, conf);
	rd_kafka_conf_set_dr_msg_cb(conf, dr);
	return conf;
}

