// SPDX-License-Identifier: MIT
/*
 * clickhouse.ttl for ClickHouse 18.16, which has no TTL clause: every table
 * is partitioned by day, and a partition whose day is older than the TTL
 * is dropped whole (ALTER TABLE ... DROP PARTITION ID), the way TTL
 * drops parts in later releases. Ingest runs it hourly.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fleet_internal.h"

int qz_fleet__drop_old_partitions(struct qz_ch *ch, unsigned int ttl_days,
				  char *err, size_t err_len)
{
	struct qz_buf out = { 0 };
	char sql[512];
	int dropped = 0, ret;

	/* Partition ids of toDate() keys are YYYYMMDD: they sort as days. */
	snprintf(sql, sizeof(sql),
		 "SELECT table, partition_id FROM system.parts "
		 "WHERE database = currentDatabase() AND active "
		 "AND match(partition_id, '^[0-9]{8}$') "
		 "AND partition_id < toString(toYYYYMMDD(today() - %u)) "
		 "GROUP BY table, partition_id ORDER BY table, partition_id "
		 "FORMAT TabSeparated", ttl_days);
	ret = qz_ch__query(ch, sql, NULL, 0, &out, err, err_len);
	for (char *line = out.data, *nl; !ret && line && line < out.data + out.len;
	     line = nl + 1) {
		char *tab;

		nl = memchr(line, '\n', (size_t)(out.data + out.len - line));
		if (!nl)
			break;
		*nl = 0;
		tab = strchr(line, '\t');
		if (!tab || strpbrk(line, "`'\\"))
			continue;
		*tab = 0;
		snprintf(sql, sizeof(sql), "ALTER TABLE `%s` DROP PARTITION ID '%s'",
			 line, tab + 1);
		ret = qz_ch__query(ch, sql, NULL, 0, NULL, err, err_len);
		dropped += !ret;
	}
	free(out.data);
	return ret ? ret : dropped;
}
