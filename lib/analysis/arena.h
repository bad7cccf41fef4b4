/* SPDX-License-Identifier: MIT */
/*
 * A report is built from many small strings and arrays that all die with
 * it: an arena makes their lifetime one object and every error path leak
 * free.  Allocation failure returns NULL and is remembered (kt_arena_failed)
 * so builders can carry on and the caller reports "out of memory" once.
 */
#ifndef KTRIAGE_ANALYZERS_ARENA_H
#define KTRIAGE_ANALYZERS_ARENA_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct kt_arena;

struct kt_arena *kt_arena_new(void);
void kt_arena_free(struct kt_arena *arena);
bool kt_arena_failed(const struct kt_arena *arena);

/* Zeroed memory, aligned for any type. */
void *kt_arena_alloc(struct kt_arena *arena, size_t size);
char *kt_arena_strdup(struct kt_arena *arena, const char *s);
char *kt_arena_strndup(struct kt_arena *arena, const char *s, size_t n);
char *kt_arena_printf(struct kt_arena *arena, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
char *kt_arena_vprintf(struct kt_arena *arena, const char *fmt, va_list ap);
/*
 * Grow an array of *capacity elements of size bytes to hold one more; the
 * old copy is left in the arena.  Returns false (array unchanged) on failure.
 */
bool kt_arena_grow(struct kt_arena *arena, void **array, size_t count,
		   size_t *capacity, size_t size);

#endif
