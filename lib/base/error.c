// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktriage/error.h"

struct kt_error kt_error_out_of_memory = {
	.code = KT_ERR_NOMEM,
	.message = (char *)"out of memory",
};

struct kt_error kt_error_not_found = {
	.code = KT_ERR_NOT_FOUND,
	.message = (char *)"not found",
};

static bool is_static(const struct kt_error *err)
{
	return err == &kt_error_out_of_memory || err == &kt_error_not_found;
}

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
	if (err == &kt_error_not_found) /* a copy to carry the context */
		err = kt_error_create(err->code, "%s", err->message);
	if (err == &kt_error_out_of_memory)
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
	if (!err || is_static(err))
		return;
	free(err->message);
	free(err);
}

const char *kt_error_string(const struct kt_error *err)
{
	return err ? err->message : "success";
}

bool kt_error_catch(struct kt_error *err)
{
	kt_error_free(err);
	return err != NULL;
}
