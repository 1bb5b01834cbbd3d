// SPDX-License-Identifier: MIT
/* Edit distances, for "did you mean" suggestions. */
#include <stdlib.h>
#include "util.h"

int qz__edit_distance(const char *a, size_t alen, const char *b, size_t blen,
		      int max)
{
	int stack_row[64], *row = stack_row, best, ret;

	if ((alen > blen ? alen - blen : blen - alen) > (size_t)max)
		return max + 1;
	if (blen + 1 > 64) {
		row = malloc((blen + 1) * sizeof(*row));
		if (!row)
			return max + 1;
	}
	for (size_t j = 0; j <= blen; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= alen; i++) {
		int diag = row[0];

		row[0] = (int)i;
		best = row[0];
		for (size_t j = 1; j <= blen; j++) {
			int up = row[j], v;

			v = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < v)
				v = up + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			diag = up;
			row[j] = v;
			if (v < best)
				best = v;
		}
		if (best > max) {
			ret = max + 1;
			goto out;
		}
	}
	ret = row[blen] > max ? max + 1 : row[blen];
out:
	if (row != stack_row)
		free(row);
	return ret;
}
