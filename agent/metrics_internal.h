/* SPDX-License-Identifier: MIT */
/* The Prometheus writer's buffer, for the HTTP server. Never installed. */
#ifndef QUAZAR_METRICS_INTERNAL_H
#define QUAZAR_METRICS_INTERNAL_H

#include "http.h"

struct qz_metrics {
	char *buf;
	size_t len, cap;
	int err;
	char family[128];
};

/* An empty page; whoever is done with it frees buf. */
void qz_metrics_init(struct qz_metrics *m);

#endif
