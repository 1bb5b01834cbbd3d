/* SPDX-License-Identifier: MIT */
/* Where the CLI's log lines go: stderr or the journal, rate-limited. */
#ifndef QUAZAR_CLI_LOGGER_H
#define QUAZAR_CLI_LOGGER_H

#include <stdbool.h>
#include <quazar/common.h>

void logger_init(bool journal, enum qz_log_level level);
void logger_set_level(enum qz_log_level level);
/* A qz_log_fn: usable as any library object's log callback. */
void logger_log(enum qz_log_level level, const char *msg, void *ctx);
void logger_printf(enum qz_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Report what rate limiting held back. */
void logger_flush(void);

#endif
