// SPDX-License-Identifier: MIT
/* Structs that can grow: the size_t sz rules of internal.h. */
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

int qz__struct_copy_out(void *dst, const void *src, size_t src_size)
{
	size_t sz;

	memcpy(&sz, dst, sizeof(sz));
	if (sz <= sizeof(size_t))
		return -EINVAL;
	if (sz > src_size)
		sz = src_size;
	memcpy((char *)dst + sizeof(size_t), (const char *)src + sizeof(size_t),
	       sz - sizeof(size_t));
	return 0;
}
