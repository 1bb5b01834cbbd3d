/* SPDX-License-Identifier: MIT */
/* Between the config's loader and its schema. Never installed. */
#ifndef QUAZAR_CONFIG_INTERNAL_H
#define QUAZAR_CONFIG_INTERNAL_H

#include "config_schema.h"

/* Fills cfg (a struct qz_config holding the defaults) from root. */
int qz_config_parse(struct qz_schema *ld, yaml_node_t *root, void *cfg);

#endif
