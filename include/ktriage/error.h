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
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/*
 * What a probe returns when the thing is not there ("has this kernel a
 * member X?"): static, so a probe whose answer is "no" allocates nothing
 * to throw away.  kt_error_free ignores it; kt_error_wrap copies it.
 */
extern struct kt_error kt_error_not_found;

/* The catch helper for probes: true when err is an error, which it frees. */
bool kt_error_catch(struct kt_error *err);

/*
 * Damage: what was wrong with an object the model still gives (a kernel,
 * a task, a stack, a lock), as opposed to a kt_error, which says a thing
 * could not be done.  One list type attaches to any of them; each entry is
 * a code, the address of the damaged object (0: the holder itself) and a
 * message.  A list holds at most KT_DAMAGE_MAX entries; the rest are
 * counted, not kept.  An empty list is NULL.
 */
#define KT_DAMAGE_MAX 256
struct kt_damage;
struct kt_damage_entry {
	enum kt_error_code code;
	uint64_t object;
	const char *message;
};
/* False when the entry was not kept (list full, or out of memory). */
bool kt_damage_add(struct kt_damage **list, enum kt_error_code code,
		   uint64_t object, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
bool kt_damage_addv(struct kt_damage **list, enum kt_error_code code,
		    uint64_t object, const char *fmt, va_list ap);
size_t kt_damage_count(const struct kt_damage *list);
/* NULL past the end. */
const struct kt_damage_entry *kt_damage_at(const struct kt_damage *list,
					   size_t index);
void kt_damage_free(struct kt_damage *list);
/*
 * The messages joined by "; ", cut at max bytes (a message starts only if
 * its separator and one byte fit), kept with the list until it changes;
 * "" for an empty list.
 */
const char *kt_damage_joined(struct kt_damage *list, size_t max);

#endif
