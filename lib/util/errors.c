// SPDX-License-Identifier: MIT
#include <string.h>
#include <quazar/common.h>

static const char *const qz_error_text[] = {
#define QZ_ERR_TEXT(name, msg) [name - __QZ_ERR_START - 1] = msg,
	QZ_ERRORS(QZ_ERR_TEXT)
#undef QZ_ERR_TEXT
};

QZ_API const char *qz_strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err > __QZ_ERR_START && err < __QZ_ERR_END)
		return qz_error_text[err - __QZ_ERR_START - 1];
	return strerror(err);
}
