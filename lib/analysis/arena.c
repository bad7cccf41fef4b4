// SPDX-License-Identifier: MIT
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define BLOCK_SIZE (64 * 1024)
#define ALIGNMENT 16

struct block {
	struct block *next;
	size_t used, size;
	_Alignas(ALIGNMENT) unsigned char data[];
};

struct kt_arena {
	struct block *blocks;
	bool failed;
};

struct kt_arena *kt_arena_new(void)
{
	return calloc(1, sizeof(struct kt_arena));
}

void kt_arena_free(struct kt_arena *arena)
{
	if (!arena)
		return;
	for (struct block *b = arena->blocks, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	free(arena);
}

bool kt_arena_failed(const struct kt_arena *arena)
{
	return arena->failed;
}

void *kt_arena_alloc(struct kt_arena *arena, size_t size)
{
	size_t rounded = (size + ALIGNMENT - 1) & ~(size_t)(ALIGNMENT - 1);
	if (rounded < size || rounded > SIZE_MAX / 2) {
		arena->failed = true;
		return NULL;
	}
	struct block *b = arena->blocks;
	if (!b || b->size - b->used < rounded) {
		/* Big requests get a block of their own, behind the current one. */
		size_t want = rounded > BLOCK_SIZE / 4 ? rounded : BLOCK_SIZE;
		struct block *nb = malloc(sizeof(*nb) + want);
		if (!nb) {
			arena->failed = true;
			return NULL;
		}
		nb->used = 0;
		nb->size = want;
		if (b && want != BLOCK_SIZE) {
			nb->next = b->next;
			b->next = nb;
		} else {
			nb->next = b;
			arena->blocks = nb;
		}
		b = nb;
	}
	void *p = b->data + b->used;
	b->used += rounded;
	memset(p, 0, size);
	return p;
}

char *kt_arena_strndup(struct kt_arena *arena, const char *s, size_t n)
{
	if (!s)
		return NULL;
	size_t len = strnlen(s, n);
	char *copy = kt_arena_alloc(arena, len + 1);
	if (copy)
		memcpy(copy, s, len);
	return copy;
}

char *kt_arena_strdup(struct kt_arena *arena, const char *s)
{
	return s ? kt_arena_strndup(arena, s, strlen(s)) : NULL;
}

char *kt_arena_vprintf(struct kt_arena *arena, const char *fmt, va_list ap)
{
	va_list copy;
	va_copy(copy, ap);
	int n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0) {
		arena->failed = true;
		return NULL;
	}
	char *s = kt_arena_alloc(arena, (size_t)n + 1);
	if (s)
		vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

char *kt_arena_printf(struct kt_arena *arena, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = kt_arena_vprintf(arena, fmt, ap);
	va_end(ap);
	return s;
}

bool kt_arena_grow(struct kt_arena *arena, void **array, size_t count,
		   size_t *capacity, size_t size)
{
	if (count < *capacity)
		return true;
	size_t cap = *capacity ? *capacity * 2 : 8;
	if (cap > SIZE_MAX / 2 / size) {
		arena->failed = true;
		return false;
	}
	void *grown = kt_arena_alloc(arena, cap * size);
	if (!grown)
		return false;
	if (count)
		memcpy(grown, *array, count * size);
	*array = grown;
	*capacity = cap;
	return true;
}
