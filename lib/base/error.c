// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktriage/error.h"

struct kt_error kt_error_out_of_memory = {
	.code = KT_ERR_NOMEM,
	.message = (char *)"out of memory",
};

struct kt_error *kt_error_createv(enum kt_error_code code, const char *fmt,
				  va_list ap)
{
	struct kt_error *err = malloc(sizeof(*err));
	if (!err)
		return &kt_error_out_of_memory;
	if (vasprintf(&err->message, fmt, ap) < 0) {
		free(err);
		return &kt_error_out_of_memory;
	}
	err->code = code;
	return err;
}

struct kt_error *kt_error_create(enum kt_error_code code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct kt_error *err = kt_error_createv(code, fmt, ap);
	va_end(ap);
	return err;
}

struct kt_error *kt_error_wrap(struct kt_error *err, const char *fmt, ...)
{
	if (!err || err == &kt_error_out_of_memory)
		return err;
	char *prefix;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&prefix, fmt, ap);
	va_end(ap);
	if (n < 0)
		return err;
	char *joined;
	if (asprintf(&joined, "%s: %s", prefix, err->message) >= 0) {
		free(err->message);
		err->message = joined;
	}
	free(prefix);
	return err;
}

void kt_error_free(struct kt_error *err)
{
	if (!err || err == &kt_error_out_of_memory)
		return;
	free(err->message);
	free(err);
}

const char *kt_error_string(const struct kt_error *err)
{
	return err ? err->message : "success";
}
