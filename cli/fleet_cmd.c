// SPDX-License-Identifier: MIT
/*
 * `quazar fleet top|vms|flamegraph|lost`: questions about every host, as
 * ClickHouse queries over what `quazar ingest` loaded (fleet/fleet_*.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "fleet.h"
#include "commands.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: quazar fleet [OPTIONS] COMMAND [ARGS]\n\n"
		"  top --metric COLLECTOR.FIELD [--since 1h] [--by-change] [--limit N]\n"
		"                      hosts ranked by a metric, against the window before\n"
		"  vms [--host GLOB]   the VM inventory from the kvm collectors' events\n"
		"  flamegraph --from T --to T [--host GLOB] [--diff T2..T3] [--by-host]\n"
		"             [-o fleet.svg] [--title TEXT]\n"
		"                      stacks of the profile collectors, summed across hosts\n"
		"  lost [--host GLOB]  the seqs that never arrived, per host and collector\n\n"
		"options:\n"
		"  -c, --config FILE   take ClickHouse's url, database, user, password from\n"
		"                      an ingest config\n"
		"      --url URL       ClickHouse's HTTP interface (http://127.0.0.1:8123/)\n"
		"      --database DB   (quazar)\n"
		"      --json          JSON lines instead of a table\n\n"
		"times: 2026-11-21 14:00[:05], 2026-11-21T14:00:05Z (UTC), 14:00 (today),\n"
		"@UNIXSECONDS, now, now-1h or -1h. Durations: 90s, 5m, 1h, 2d.\n");
}

struct args {
	struct qz_fleet_opts o;
	struct qz_fleet_top_opts top;
	struct qz_fleet_flame_opts flame;
	const char *cmd, *config, *host, *from, *to, *diff, *since;
	struct qz_ingest_config *cfg;
};

static int parse(struct args *a, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		const char **dst = NULL;

		if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
			usage(stdout);
			return 1;
		} else if (!strcmp(s, "--json")) {
			a->o.json = true;
		} else if (!strcmp(s, "--by-change")) {
			a->top.by_change = true;
		} else if (!strcmp(s, "--by-host")) {
			a->flame.by_host = true;
		} else if (s[0] != '-' && !a->cmd) {
			a->cmd = s;
		} else {
			static const struct { const char *name; size_t off; } opts[] = {
				{ "-c", offsetof(struct args, config) },
				{ "--config", offsetof(struct args, config) },
				{ "--url", offsetof(struct args, o.url) },
				{ "--database", offsetof(struct args, o.database) },
				{ "--user", offsetof(struct args, o.user) },
				{ "--password", offsetof(struct args, o.password) },
				{ "--metric", offsetof(struct args, top.metric) },
				{ "--since", offsetof(struct args, since) },
				{ "--host", offsetof(struct args, host) },
				{ "--from", offsetof(struct args, from) },
				{ "--to", offsetof(struct args, to) },
				{ "--diff", offsetof(struct args, diff) },
				{ "-o", offsetof(struct args, flame.svg_path) },
				{ "--title", offsetof(struct args, flame.title) },
				{ "--limit", 0 },
			};

			for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
				if (!strcmp(s, opts[k].name))
					dst = (const char **)((char *)a + opts[k].off);
			if (!dst || !v) {
				fprintf(stderr, "quazar fleet: %s '%s'\n",
					dst ? "a value is missing after" : "unknown argument", s);
				return 2;
			}
			if (!strcmp(s, "--limit"))
				a->top.limit = (unsigned int)strtoul(v, NULL, 10);
			else
				*dst = v;
			i++;
		}
	}
	if (!a->cmd) {
		usage(stderr);
		return 2;
	}
	return 0;
}

static int connection(struct args *a)
{
	struct qz_config_error err;

	if (a->config) {
		a->cfg = qz_ingest_config__load_file(a->config, &err);
		if (!a->cfg) {
			fprintf(stderr, "quazar fleet: %s: %s\n", a->config, err.msg);
			return 2;
		}
		a->o.url = a->o.url ? a->o.url : a->cfg->url;
		a->o.database = a->o.database ? a->o.database : a->cfg->database;
		a->o.user = a->o.user ? a->o.user : a->cfg->user;
		a->o.password = a->o.password ? a->o.password : a->cfg->password;
	}
	if (!a->o.url)
		a->o.url = getenv("QUAZAR_CLICKHOUSE_URL") ? getenv("QUAZAR_CLICKHOUSE_URL") :
			   "http://127.0.0.1:8123/";
	if (!a->o.database)
		a->o.database = "quazar";
	return 0;
}

static int bad_time(const char *opt, const char *v)
{
	fprintf(stderr, "quazar fleet: %s '%s' is not a time (2026-11-21 14:00, 14:00, "
		"@UNIXSECONDS, now-1h)\n", opt, v ? v : "");
	return 2;
}

static int flame_times(struct args *a, uint64_t now)
{
	char t2[64];
	const char *dots;

	if (!a->from || qz_fleet__parse_time(a->from, now, &a->flame.from_s))
		return bad_time("--from", a->from);
	if (!a->to)
		a->to = "now";
	if (qz_fleet__parse_time(a->to, now, &a->flame.to_s) ||
	    a->flame.to_s <= a->flame.from_s)
		return bad_time("--to (after --from)", a->to);
	if (!a->diff)
		return 0;
	dots = strstr(a->diff, "..");
	snprintf(t2, sizeof(t2), "%.*s", dots ? (int)(dots - a->diff) : 0, a->diff);
	if (!dots || qz_fleet__parse_time(t2, now, &a->flame.base_from_s) ||
	    qz_fleet__parse_time(dots + 2, now, &a->flame.base_to_s) ||
	    a->flame.base_to_s <= a->flame.base_from_s)
		return bad_time("--diff (T2..T3)", a->diff);
	return 0;
}

int cmd_fleet(int argc, char **argv)
{
	struct args a = { 0 };
	uint64_t now = (uint64_t)time(NULL);
	char err[1024] = "";
	int ret = parse(&a, argc, argv);

	if (ret)
		return ret == 1 ? 0 : ret;
	ret = connection(&a);
	if (ret)
		return ret;
	a.flame.host_glob = a.host;
	if (!strcmp(a.cmd, "top")) {
		if (!a.top.metric) {
			fprintf(stderr, "quazar fleet top: --metric COLLECTOR.FIELD is required\n");
			ret = 2;
		} else if (qz_fleet__parse_duration(a.since ? a.since : "1h", &a.top.since_s)) {
			fprintf(stderr, "quazar fleet top: --since '%s' is not a duration\n",
				a.since);
			ret = 2;
		} else {
			ret = qz_fleet__top(&a.o, &a.top, err, sizeof(err)) ? 1 : 0;
		}
	} else if (!strcmp(a.cmd, "vms")) {
		ret = qz_fleet__vms(&a.o, a.host, err, sizeof(err)) ? 1 : 0;
	} else if (!strcmp(a.cmd, "lost")) {
		ret = qz_fleet__lost(&a.o, a.host, err, sizeof(err)) ? 1 : 0;
	} else if (!strcmp(a.cmd, "flamegraph")) {
		ret = flame_times(&a, now);
		if (!ret)
			ret = qz_fleet__flamegraph(&a.o, &a.flame, err, sizeof(err)) ? 1 : 0;
	} else {
		fprintf(stderr, "quazar fleet: '%s' is not a command (top, vms, flamegraph, "
			"lost)\n", a.cmd);
		ret = 2;
	}
	if (ret == 1)
		fprintf(stderr, "quazar fleet %s: %s (ClickHouse at %s, database %s)\n", a.cmd,
			err[0] ? err : "failed", a.o.url, a.o.database);
	qz_ingest_config__free(a.cfg);
	return ret;
}
