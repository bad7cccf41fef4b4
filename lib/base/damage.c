// SPDX-License-Identifier: MIT
/*
 * The one list of damage a kernel, a task, a stack or a lock carries
 * (error.h): entries kept in order, at most KT_DAMAGE_MAX of them, so a
 * dump that is damaged everywhere costs a bounded list, not memory without
 * end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktriage/error.h"

struct kt_damage {
	struct kt_damage_entry *entries;
	size_t count, capacity;
	char *joined;            /* kt_damage_joined's, NULL until asked */
	size_t joined_max;
};

bool kt_damage_addv(struct kt_damage **list, enum kt_error_code code,
		    uint64_t object, const char *fmt, va_list ap)
{
	if (!*list && !(*list = calloc(1, sizeof(**list))))
		return false;
	struct kt_damage *l = *list;
	if (l->count >= KT_DAMAGE_MAX)
		return false;
	if (l->count == l->capacity) {
		size_t capacity = l->capacity ? l->capacity * 2 : 8;
		struct kt_damage_entry *n = realloc(l->entries, capacity * sizeof(*n));
		if (!n)
			return false;
		l->entries = n;
		l->capacity = capacity;
	}
	char *message;
	if (vasprintf(&message, fmt, ap) < 0)
		return false;
	l->entries[l->count++] = (struct kt_damage_entry){ code, object, message };
	free(l->joined);
	l->joined = NULL;
	return true;
}

bool kt_damage_add(struct kt_damage **list, enum kt_error_code code,
		   uint64_t object, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bool kept = kt_damage_addv(list, code, object, fmt, ap);
	va_end(ap);
	return kept;
}

size_t kt_damage_count(const struct kt_damage *list)
{
	return list ? list->count : 0;
}

const struct kt_damage_entry *kt_damage_at(const struct kt_damage *list,
					   size_t index)
{
	return list && index < list->count ? &list->entries[index] : NULL;
}

void kt_damage_free(struct kt_damage *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++)
		free((char *)list->entries[i].message);
	free(list->entries);
	free(list->joined);
	free(list);
}

const char *kt_damage_joined(struct kt_damage *list, size_t max)
{
	if (!list || !list->count)
		return "";
	if (list->joined && list->joined_max == max)
		return list->joined;
	free(list->joined);
	list->joined = malloc(max + 1);
	if (!list->joined)
		return list->entries[0].message;
	list->joined_max = max;
	size_t used = 0;
	list->joined[0] = '\0';
	for (size_t i = 0; i < list->count && used + 2 < max; i++) {
		used += (size_t)snprintf(list->joined + used, max + 1 - used, "%s%s",
					 used ? "; " : "", list->entries[i].message);
		if (used > max)
			used = max;
	}
	return list->joined;
}
