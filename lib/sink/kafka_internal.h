/* SPDX-License-Identifier: MIT */
/* Between the Kafka sink and its configuration. Never installed. */
#ifndef QUAZAR_KAFKA_INTERNAL_H
#define QUAZAR_KAFKA_INTERNAL_H

#include <librdkafka/rdkafka.h>
#include "sink_internal.h"

/*
 * The producer's conf from the sink's opts: idempotent, acks=all, the
 * message timeout, then the caller's properties. The conf's opaque is s,
 * which librdkafka's callbacks log through. NULL on a bad option (logged).
 */
rd_kafka_conf_t *qz_kafka_conf(struct qz_sink *s, const struct qz_sink_kafka_opts *o,
			       void (*dr)(rd_kafka_t *, const rd_kafka_message_t *, void *));

#endif
