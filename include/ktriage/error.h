/* SPDX-License-Identifier: MIT */
/*
 * Errors are values: a function that can fail returns a struct kt_error *,
 * NULL on success.  The message is built where the failure is understood and
 * names the file, the object and what was wrong, e.g.
 *   "vmcore.kdump: page 0x1a2b3: zlib: invalid stored block lengths".
 */
#ifndef KTRIAGE_ERROR_H
#define KTRIAGE_ERROR_H

#include <stdarg.h>

enum kt_error_code {
	KT_ERR_NOMEM = 1,
	KT_ERR_IO,          /* the operating system failed a read or open */
	KT_ERR_FORMAT,      /* the file is not what it claims, or is damaged */
	KT_ERR_UNSUPPORTED, /* valid, but a feature ktriage does not handle */
	KT_ERR_EXCLUDED,    /* the page was left out of the dump (dump level) */
	KT_ERR_MISSING,     /* the page should be there, but the file ends first */
	KT_ERR_CORRUPT,     /* the page is there but cannot be decoded */
	KT_ERR_NOT_FOUND,   /* a symbol, type, key, task... does not exist */
	KT_ERR_FAULT,       /* an address does not translate */
	KT_ERR_INVALID,     /* a kernel structure holds an impossible value */
	KT_ERR_USAGE,       /* the caller asked for something meaningless */
};

struct kt_error {
	enum kt_error_code code;
	char *message;
};

struct kt_error *kt_error_create(enum kt_error_code code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
struct kt_error *kt_error_createv(enum kt_error_code code, const char *fmt,
				  va_list ap);
/* Prefix an existing error's message with more context; takes ownership. */
struct kt_error *kt_error_wrap(struct kt_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void kt_error_free(struct kt_error *err);
const char *kt_error_string(const struct kt_error *err);

/* An error that could not be allocated: never freed, always available. */
extern struct kt_error kt_error_out_of_memory;

#endif
