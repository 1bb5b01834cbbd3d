// SPDX-License-Identifier: MIT
/*
 * `quazar fleet lost [--host GLOB]`: the seqs that never arrived, per
 * (host, collector). Each collector numbers its reports 1, 2, 3, ...; a
 * gap between the first and the last seq stored is a report lost on the
 * way (a full spool dropped it, or the agent was killed before sending
 * it). Seqs are read from reports, which holds every report of any type.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "fleet_internal.h"

/* The sorted seqs (s) only serve the gaps: the outer SELECT leaves them. */
static const char lost_sql[] =
	"SELECT host, collector, first, last, received, missing, missing_seqs FROM ("
	"SELECT host, collector, min(seq) AS first, max(seq) AS last, "
	"count() AS received, last - first + 1 - received AS missing, "
	"arraySort(groupArray(seq)) AS s, "
	"arrayStringConcat(arrayMap(i -> if(s[i] - s[i - 1] = 2, toString(s[i] - 1), "
	"concat(toString(s[i - 1] + 1), '-', toString(s[i] - 1))), "
	"arrayFilter(i -> i > 1 AND s[i] - s[i - 1] > 1, arrayEnumerate(s))), ',') "
	"AS missing_seqs "
	"FROM (SELECT DISTINCT host, collector, seq FROM reports WHERE host LIKE ";

int qz_fleet__lost(const struct qz_fleet_opts *o, const char *host_glob,
		   char *err, size_t err_len)
{
	static const char tail[] =
		") GROUP BY host, collector) ORDER BY missing DESC, host, collector";
	struct qz_buf q = { 0 };
	struct qz_ch *ch = qz_fleet__connect(o);
	int ret;

	if (!ch)
		return -ENOMEM;
	qz_buf__put(&q, lost_sql, strlen(lost_sql));
	qz_fleet__sql_glob(&q, host_glob ? host_glob : "*");
	qz_buf__put(&q, tail, sizeof(tail));
	ret = q.err ? q.err : qz_fleet__print_query(o, ch, q.data, err, err_len);
	free(q.data);
	qz_ch__free(ch);
	return ret;
}
