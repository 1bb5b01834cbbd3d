// SPDX-License-Identifier: MIT
/*
 * Reading the topic back. When a report fails after it was sent, the
 * brokers may have stored it without acking; sending it again would make a
 * duplicate, dropping it could lose it. Before replaying such a report the
 * sink reads its partition from the last offset acked before it, and sends
 * it again only if it is not there.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include "kafka_internal.h"

struct kafka_reader {
	rd_kafka_t *rk;
	rd_kafka_topic_t *rkt;
};

struct kafka_reader *qz_kafka_reader__new(struct qz_sink *s, rd_kafka_conf_t *conf,
				      const char *topic)
{
	struct kafka_reader *r = calloc(1, sizeof(*r));
	char errstr[512];

	if (!r || !conf)
		goto fail;
	r->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	if (!r->rk) {
		qz_log(&s->log, QZ_LOG_ERROR, "kafka sink: reader: %s", errstr);
		goto fail;
	}
	conf = NULL;
	r->rkt = rd_kafka_topic_new(r->rk, topic, NULL);
	if (!r->rkt)
		goto fail;
	return r;
fail:
	if (conf)
		rd_kafka_conf_destroy(conf);
	qz_kafka_reader__free(r);
	return NULL;
}

void qz_kafka_reader__free(struct kafka_reader *r)
{
	if (!r)
		return;
	if (r->rkt)
		rd_kafka_topic_destroy(r->rkt);
	if (r->rk)
		rd_kafka_destroy(r->rk);
	free(r);
}

uint64_t qz_kafka__report_hash(const void *key, size_t key_len, const void *data, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 0xcbf29ce484222325ull;	/* FNV-1a */

	for (size_t i = 0; i < key_len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	h = (h ^ 0xff) * 0x100000001b3ull;	/* key and payload apart */
	p = data;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ll + ts.tv_nsec / 1000000;
}

int qz_kafka_reader__scan(struct kafka_reader *r, int32_t partition, int64_t from,
		      int timeout_ms, void (*seen)(uint64_t hash, void *ctx), void *ctx)
{
	long long end = now_ms() + timeout_ms;
	int64_t lo, hi;
	int err = 0;

	if (rd_kafka_query_watermark_offsets(r->rk, rd_kafka_topic_name(r->rkt), partition,
					     &lo, &hi, timeout_ms))
		return -EHOSTUNREACH;
	if (from < lo)
		from = lo;
	if (from >= hi)
		return 0;	/* nothing was stored after it */
	if (rd_kafka_consume_start(r->rkt, partition, from))
		return -EIO;
	for (;;) {
		long long left = end - now_ms();
		rd_kafka_message_t *m;

		if (left <= 0) {
			err = -ETIMEDOUT;
			break;
		}
		m = rd_kafka_consume(r->rkt, partition, (int)left);
		if (!m)
			continue;
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			rd_kafka_message_destroy(m);
			break;
		}
		if (m->err) {
			rd_kafka_message_destroy(m);
			err = -EIO;
			break;
		}
		seen(qz_kafka__report_hash(m->key, m->key_len, m->payload, m->len), ctx);
		if (m->offset >= hi - 1) {
			rd_kafka_message_destroy(m);
			break;
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consume_stop(r->rkt, partition);
	return err;
}
