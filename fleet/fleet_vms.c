// SPDX-License-Identifier: MIT
/*
 * `quazar fleet vms [--host GLOB]`: the VM inventory rebuilt from the kvm
 * collectors' lifecycle events. A VM is its VMM process on its host: its
 * last event says whether it is alive, its last create when it was born.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "fleet_internal.h"

static const char vms_sql[] =
	"SELECT host, pid, any(comm) AS comm, "
	"argMax(event, (interval_end, seq)) != 'destroy' AS alive, "
	"toDateTime(intDiv(maxIf(interval_end, event = 'create'), 1000000000)) AS created, "
	"if(alive, '', toString(toDateTime(intDiv(maxIf(interval_end, event = 'destroy'), "
	"1000000000)))) AS destroyed, "
	"max(vms) AS vms, max(vcpus) AS vcpus, "
	"round((if(alive, toUInt64(now()) * 1000000000, maxIf(interval_end, event = 'destroy')) "
	"- maxIf(interval_end, event = 'create')) / 1e9, 1) AS age_s "
	"FROM vm FINAL WHERE host LIKE ";

int qz_fleet__vms(const struct qz_fleet_opts *o, const char *host_glob,
		  char *err, size_t err_len)
{
	static const char tail[] =
		" GROUP BY host, pid HAVING countIf(event = 'create') > 0 "
		"ORDER BY host, created, pid";
	struct qz_buf q = { 0 };
	struct qz_ch *ch = qz_fleet__connect(o);
	int ret;

	if (!ch)
		return -ENOMEM;
	qz_buf__put(&q, vms_sql, strlen(vms_sql));
	qz_fleet__sql_glob(&q, host_glob ? host_glob : "*");
	qz_buf__put(&q, tail, sizeof(tail));
	ret = q.err ? q.err : qz_fleet__print_query(o, ch, q.data, err, err_len);
	free(q.data);
	qz_ch__free(ch);
	return ret;
}
