// SPDX-License-Identifier: MIT
/*
 * The one place `fleet flamegraph` meets quazar's SVG flame graph writer
 * (profilers/helpers/flamegraph.h). The build defines QZ_HAVE_FLAMEGRAPH
 * when that header is in the tree.
 *
 * TEMPORARY: until the writer lands, this says so and fails; the folded
 * stacks are written all the same, and the tests check them.
 */
#include <errno.h>
#include <stdio.h>
#include "fleet.h"
#ifdef QZ_HAVE_FLAMEGRAPH
#include "flamegraph.h"
#endif

int qz_fleet__render_svg(const char *folded_path, const char *base_folded_path,
			 const char *svg_path, const char *title, char *err,
			 size_t err_len)
{
#ifdef QZ_HAVE_FLAMEGRAPH
	return qz_flamegraph__svg_from_folded(folded_path, base_folded_path, svg_path,
					      title, err, err_len);
#else
	(void)base_folded_path;
	(void)title;
	snprintf(err, err_len, "no SVG written to %s: quazar's flame graph writer is not "
		 "in this build; the folded stacks are in %s", svg_path, folded_path);
	return -ENOSYS;
#endif
}
