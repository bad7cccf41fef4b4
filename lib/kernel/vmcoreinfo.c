// SPDX-License-Identifier: MIT
/*
 * VMCOREINFO: the KEY=VALUE lines the kernel writes for dump tools.  The
 * kernel prints each kind of key in its own base: SYMBOL and KERNELOFFSET
 * in hex, SIZE/OFFSET/LENGTH/PAGESIZE/CRASHTIME and NUMBER in decimal
 * (NUMBER may be negative, e.g. phys_base or PAGE_BUDDY_MAPCOUNT_VALUE).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_ENTRIES 4096
#define MAX_KEY 128

struct entry {
	char *key;
	char *value;
};

struct kt_vmcoreinfo {
	struct entry *entries;
	size_t count;
	char *text; /* a private copy the entries point into */
};

static struct kt_error *add_line(struct kt_vmcoreinfo *vi, char *line)
{
	char *eq = strchr(line, '=');
	if (!eq || eq == line || eq - line > MAX_KEY)
		return NULL; /* not KEY=VALUE: ignored, as the kernel never writes it */
	if (vi->count >= MAX_ENTRIES)
		return kt_error_create(KT_ERR_FORMAT,
				       "VMCOREINFO: more than %d entries",
				       MAX_ENTRIES);
	*eq = '\0';
	vi->entries[vi->count++] = (struct entry){ line, eq + 1 };
	return NULL;
}

struct kt_error *kt_vmcoreinfo_parse(const char *text, size_t len,
				     struct kt_vmcoreinfo **out)
{
	struct kt_vmcoreinfo *vi = calloc(1, sizeof(*vi));
	if (!vi)
		return &kt_error_out_of_memory;
	vi->text = malloc(len + 1);
	vi->entries = calloc(MAX_ENTRIES, sizeof(*vi->entries));
	if (!vi->text || !vi->entries) {
		kt_vmcoreinfo_free(vi);
		return &kt_error_out_of_memory;
	}
	memcpy(vi->text, text, len);
	vi->text[len] = '\0';
	char *save = NULL;
	for (char *line = strtok_r(vi->text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct kt_error *err = add_line(vi, line);
		if (err) {
			kt_vmcoreinfo_free(vi);
			return err;
		}
	}
	*out = vi;
	return NULL;
}

void kt_vmcoreinfo_free(struct kt_vmcoreinfo *vi)
{
	if (!vi)
		return;
	free(vi->entries);
	free(vi->text);
	free(vi);
}

const char *kt_vmcoreinfo_get(const struct kt_vmcoreinfo *vi, const char *key)
{
	if (!vi)
		return NULL;
	/* The last value wins: the kernel appends CRASHTIME after the rest. */
	for (size_t i = vi->count; i-- > 0;)
		if (strcmp(vi->entries[i].key, key) == 0)
			return vi->entries[i].value;
	return NULL;
}

size_t kt_vmcoreinfo_count(const struct kt_vmcoreinfo *vi)
{
	return vi ? vi->count : 0;
}

bool kt_vmcoreinfo_entry(const struct kt_vmcoreinfo *vi, size_t i,
			 const char **key, const char **value)
{
	if (!vi || i >= vi->count)
		return false;
	*key = vi->entries[i].key;
	*value = vi->entries[i].value;
	return true;
}

bool kt_vmcoreinfo_u64(const struct kt_vmcoreinfo *vi, const char *key,
		       int base, uint64_t *value)
{
	const char *text = kt_vmcoreinfo_get(vi, key);
	if (!text || !*text || *text == '-')
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, base);
	if (errno || *end)
		return false;
	*value = v;
	return true;
}

static bool wrapped_u64(const struct kt_vmcoreinfo *vi, const char *kind,
			const char *name, int base, uint64_t *value)
{
	char key[MAX_KEY + 16];
	if (snprintf(key, sizeof(key), "%s(%s)", kind, name) >= (int)sizeof(key))
		return false;
	return kt_vmcoreinfo_u64(vi, key, base, value);
}

bool kt_vmcoreinfo_symbol(const struct kt_vmcoreinfo *vi, const char *name,
			  uint64_t *addr)
{
	return wrapped_u64(vi, "SYMBOL", name, 16, addr);
}

bool kt_vmcoreinfo_size(const struct kt_vmcoreinfo *vi, const char *name,
			uint64_t *size)
{
	return wrapped_u64(vi, "SIZE", name, 10, size);
}

bool kt_vmcoreinfo_offset(const struct kt_vmcoreinfo *vi, const char *name,
			  uint64_t *offset)
{
	return wrapped_u64(vi, "OFFSET", name, 10, offset);
}

bool kt_vmcoreinfo_length(const struct kt_vmcoreinfo *vi, const char *name,
			  uint64_t *length)
{
	return wrapped_u64(vi, "LENGTH", name, 10, length);
}

bool kt_vmcoreinfo_number(const struct kt_vmcoreinfo *vi, const char *name,
			  int64_t *number)
{
	char key[MAX_KEY + 16];
	if (snprintf(key, sizeof(key), "NUMBER(%s)", name) >= (int)sizeof(key))
		return false;
	const char *text = kt_vmcoreinfo_get(vi, key);
	if (!text || !*text)
		return false;
	char *end;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if (errno || *end)
		return false;
	*number = v;
	return true;
}
