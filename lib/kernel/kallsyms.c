// SPDX-License-Identifier: MIT
/*
 * The kernel's own symbol table, decoded from memory (kernel/kallsyms.c,
 * scripts/kallsyms.c).  VMCOREINFO has carried SYMBOL(kallsyms_*) since
 * 6.0.  Names are token-compressed: each entry is a length (one byte, or
 * two when the first has bit 7 set, since 6.1) and that many token
 * indices; the first character of the expanded name is the type letter.
 * Addresses are kallsyms_relative_base + offset, or with
 * ABSOLUTE_PERCPU a non-negative offset is itself the (per-CPU) address
 * and a negative one is relative_base - 1 - offset.
 */
#include <stdlib.h>
#include <string.h>

#include "kallsyms_scan.h"
#include "symtab.h"

#define MAX_SYMBOLS (1u << 21)
#define MAX_NAMES_BYTES (64u << 20)
#define TOKEN_TABLE_MAX (64u << 10)

/* VMCOREINFO names the tables since 6.0; before, the image is searched. */
static struct kt_error *find_tables(struct kt_kernel *k,
				    struct kt_kallsyms_tables *t)
{
	uint64_t names_at;
	if (!kt_vmcoreinfo_symbol(k->vmcoreinfo, "kallsyms_names", &names_at)) {
		struct kt_kallsyms_scan_result found;
		struct kt_error *err = kt_kallsyms_scan_kernel(k, &found);
		*t = found.tables;
		return err;
	}
	static const char *const names[] = {
		"kallsyms_names",       "kallsyms_num_syms",
		"kallsyms_token_table", "kallsyms_token_index",
		"kallsyms_offsets",     "kallsyms_relative_base",
	};
	uint64_t *slots[] = { &t->names,       &t->num_syms,
			      &t->token_table, &t->token_index,
			      &t->offsets,     &t->relative_base };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!kt_vmcoreinfo_symbol(k->vmcoreinfo, names[i], slots[i]))
			return kt_error_create(KT_ERR_NOT_FOUND,
					       "VMCOREINFO has no SYMBOL(%s) (kernel older than 6.0?)",
					       names[i]);
	return NULL;
}

struct tokens {
	char table[TOKEN_TABLE_MAX + 1];
	uint16_t index[256];
	size_t size;
};

/*
 * The 256 tokens, each checked once: 150,000 names expand to about two
 * million tokens, so their lengths are worth knowing in advance.
 * A token whose index points outside the table gets length -1.
 */
void kt_kallsyms_token_lengths(const struct kt_kallsyms_buffers *b, int lengths[256])
{
	for (int t = 0; t < 256; t++) {
		uint16_t at = b->token_index[t];
		lengths[t] = at < b->token_table_size
				     ? (int)strnlen(b->token_table + at, b->token_table_size - at)
				     : -1;
	}
}

/* Expand one entry's tokens into name; returns its length or -1. */
int kt_kallsyms_expand(const struct kt_kallsyms_buffers *b, const int lengths[256],
		       const uint8_t *entry, size_t len, char name[KT_KALLSYMS_MAX_NAME])
{
	size_t out = 0;
	for (size_t i = 0; i < len; i++) {
		int n = lengths[entry[i]];
		if (n < 0 || out + (size_t)n >= KT_KALLSYMS_MAX_NAME)
			return -1;
		memcpy(name + out, b->token_table + b->token_index[entry[i]], (size_t)n);
		out += (size_t)n;
	}
	name[out] = '\0';
	return (int)out;
}

/* ABSOLUTE_PERCPU kernels (x86-64 SMP) store text as negative offsets. */
bool kt_kallsyms_absolute_percpu(const int32_t *offsets, uint32_t count)
{
	for (uint32_t i = 0; i < count; i++)
		if (offsets[i] < 0)
			return true;
	return false;
}

struct kt_error *kt_kallsyms_entry(const struct kt_kallsyms_buffers *b,
				   uint32_t i, size_t *pos, size_t *len)
{
	const uint8_t *names = b->names;
	size_t size = b->names_size;
	if (*pos >= size)
		return kt_error_create(KT_ERR_FORMAT,
				       "kallsyms: names end after %u of %u symbols",
				       i, b->count);
	size_t n = names[(*pos)++];
	if (n & 0x80) {
		if (*pos >= size)
			return kt_error_create(KT_ERR_FORMAT,
					       "kallsyms: symbol %u: truncated length", i);
		n = (n & 0x7f) | ((size_t)names[(*pos)++] << 7);
	}
	if (n == 0 || n > size - *pos)
		return kt_error_create(KT_ERR_FORMAT,
				       "kallsyms: symbol %u: length %zu is out of range",
				       i, n);
	*len = n;
	return NULL;
}

struct kt_error *kt_kallsyms_decode(const struct kt_kallsyms_buffers *b,
				    struct kt_symtab *table)
{
	bool absolute = kt_kallsyms_absolute_percpu(b->offsets, b->count);
	size_t pos = 0;
	char name[KT_KALLSYMS_MAX_NAME];
	int lengths[256];
	kt_kallsyms_token_lengths(b, lengths);
	struct kt_error *reserved = kt_symtab_reserve(table, b->count, b->names_size * 2);
	if (reserved)
		return reserved;
	for (uint32_t i = 0; i < b->count; i++) {
		size_t len;
		struct kt_error *err = kt_kallsyms_entry(b, i, &pos, &len);
		if (err)
			return err;
		int n = kt_kallsyms_expand(b, lengths, b->names + pos, len, name);
		pos += len;
		if (n < 2)
			return kt_error_create(KT_ERR_FORMAT,
					       "kallsyms: symbol %u: bad token", i);
		uint64_t address = kt_kallsyms_address(b->offsets[i],
						       b->relative_base, absolute);
		err = kt_symtab_add(table, name + 1, (size_t)n - 1, address, name[0]);
		if (err)
			return err;
	}
	return NULL;
}

/* The three tables in one block: what the index keeps, freed at once. */
struct copied_tables {
	struct tokens tok;
	int32_t offsets[];
};

struct kt_error *kt_kallsyms_alloc(const struct kt_kallsyms_location *at,
				   struct kt_kallsyms_buffers *b)
{
	struct copied_tables *c = malloc(sizeof(*c) + (size_t)at->count * sizeof(int32_t));
	uint8_t *names = malloc(at->names_size);
	if (!c || !names) {
		free(c);
		free(names);
		return &kt_error_out_of_memory;
	}
	memset(&c->tok, 0, sizeof(c->tok));
	*b = (struct kt_kallsyms_buffers){
		.token_table = c->tok.table, .token_table_size = at->token_table_size,
		.token_index = c->tok.index,
		.names = names, .names_size = at->names_size,
		.offsets = c->offsets, .count = at->count,
		.relative_base = at->relative_base,
	};
	return NULL;
}

void kt_kallsyms_free(struct kt_kallsyms_buffers *b)
{
	/* token_table is the first member of the block kt_kallsyms_alloc made. */
	free((void *)b->token_table);
	free((void *)b->names);
	*b = (struct kt_kallsyms_buffers){ 0 };
}

struct kt_error *kt_kallsyms_locate(struct kt_kernel *k, struct kt_kallsyms_location *at)
{
	struct kt_kallsyms_tables t;
	struct kt_error *err = find_tables(k, &t);
	if (err)
		return err;
	err = kt_kernel_read_u32(k, t.num_syms, &at->count);
	if (!err)
		err = kt_kernel_read_u64(k, t.relative_base, &at->relative_base);
	if (err)
		return kt_error_wrap(err, "kallsyms");
	if (at->count == 0 || at->count > MAX_SYMBOLS)
		return kt_error_create(KT_ERR_INVALID,
				       "kallsyms_num_syms %u is implausible", at->count);
	/* The names run up to the markers, which precede the token table. */
	if (t.token_table <= t.names || t.token_table - t.names > MAX_NAMES_BYTES)
		return kt_error_create(KT_ERR_INVALID,
				       "kallsyms_names 0x%llx and kallsyms_token_table 0x%llx are not in the usual order",
				       (unsigned long long)t.names,
				       (unsigned long long)t.token_table);
	at->names = t.names;
	at->names_size = (size_t)(t.token_table - t.names);
	at->token_table = t.token_table;
	at->token_index = t.token_index;
	at->offsets = t.offsets;
	/* The table ends where the index begins, when laid out as usual. */
	at->token_table_size = TOKEN_TABLE_MAX;
	if (t.token_index > t.token_table &&
	    t.token_index - t.token_table < TOKEN_TABLE_MAX)
		at->token_table_size = (size_t)(t.token_index - t.token_table);
	return NULL;
}

struct kt_error *kt_kallsyms_read(struct kt_kernel *k,
				  struct kt_kallsyms_buffers *b)
{
	struct kt_kallsyms_location at;
	struct kt_error *err = kt_kallsyms_locate(k, &at);
	if (!err)
		err = kt_kallsyms_alloc(&at, b);
	if (err)
		return err;
	char *token_table = (char *)b->token_table;
	err = kt_kernel_read(k, at.token_index, (void *)b->token_index, 256 * sizeof(uint16_t));
	if (err)
		err = kt_error_wrap(err, "kallsyms_token_index");
	if (!err && (err = kt_kernel_read(k, at.token_table, token_table,
					  at.token_table_size)))
		err = kt_error_wrap(err, "kallsyms_token_table");
	token_table[at.token_table_size] = '\0';
	if (!err)
		err = kt_kernel_read(k, at.names, (void *)b->names, at.names_size);
	if (!err)
		err = kt_kernel_read(k, at.offsets, (void *)b->offsets,
				     (size_t)at.count * sizeof(int32_t));
	if (err)
		kt_kallsyms_free(b);
	return err;
}

/*
 * The index keeps the tables and expands a name only when it is asked
 * for; a kernel whose table is not in address order (none seen) has its
 * names decoded into the table instead.
 */
struct kt_error *kt_kallsyms_load(struct kt_kernel *k, struct kt_symtab *table)
{
	if (kt_kallsyms_cache_get(k, table))
		return NULL;
	struct kt_kallsyms_buffers b;
	struct kt_error *err = kt_kallsyms_read(k, &b);
	if (err)
		return err;
	bool indexed = false;
	err = kt_symtab_index_kallsyms(table, &b, &indexed);
	if (!err && !indexed)
		err = kt_kallsyms_decode(&b, table);
	if (!indexed)
		kt_kallsyms_free(&b);
	else
		kt_kallsyms_cache_put(k, table);
	return err;
}
