/* SPDX-License-Identifier: MIT */
/* Between the config's loader and its schema. Never installed. */
#ifndef QUAZAR_CONFIG_INTERNAL_H
#define QUAZAR_CONFIG_INTERNAL_H

#include <yaml.h>
#include "config.h"

/* Fills cfg (holding the defaults) from doc; -QZ_ERR_CONFIG with err set. */
int qz_config_parse(yaml_document_t *doc, struct qz_config *cfg,
		    struct qz_config_error *err);

#endif
