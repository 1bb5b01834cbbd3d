// SPDX-License-Identifier: MIT
/* Opts structs that can grow: the size_t sz rule of internal.h. */
#include <errno.h>
#include <string.h>
#include "../internal.h"

int qz__opts_check(const void *opts, size_t known_size)
{
	const unsigned char *bytes = opts;
	size_t sz;

	if (!opts)
		return 0;
	memcpy(&sz, opts, sizeof(sz));
	for (size_t i = known_size; i < sz; i++)
		if (bytes[i])
			return -E2BIG;
	return 0;
}
