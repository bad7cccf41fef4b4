// SPDX-License-Identifier: MIT
/*
 * kallsyms decoding (kt_kallsyms_decode) on hostile tables, then the
 * symbol table built from them: sort, hash, lookups by name and address;
 * and the index that expands names on demand (kt_symtab_index_kallsyms)
 * on the same tables, which must fail with the same message or answer
 * every lookup as the decoded table does.
 *
 * Input: u32 count, u64 relative_base, u16 token table size, u32 names
 * size; then the token table, the 256-entry token index, the names and
 * the offsets (count is cut to the offsets the input holds, as the loader
 * reads exactly count of them).  Each table is copied to a buffer of its
 * exact size, so the decoder cannot read past one unseen.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "../../lib/kernel/symtab.h"

static void *copy(struct fuzz_cursor *c, size_t n, size_t *got)
{
	const uint8_t *p = fuzz_bytes(c, n, got);
	uint8_t *buf = malloc(*got ? *got : 1);
	if (buf)
		memcpy(buf, p, *got);
	return buf;
}

static void lookups(struct kt_symtab *table, const struct kt_kallsyms_buffers *b)
{
	struct kt_symbol symbol;
	uint64_t address;
	for (uint32_t i = 0; i < b->count && i < 64; i++) {
		uint64_t at = b->relative_base + (uint32_t)b->offsets[i];
		if (kt_symtab_lookup_address(table, at, &symbol) &&
		    !kt_symtab_lookup_name(table, symbol.name, &address))
			abort(); /* a name found by address is found by name */
		(void)kt_symtab_lookup_address(table, at - 1, &symbol);
	}
	(void)kt_symtab_lookup_address(table, 0, &symbol);
	(void)kt_symtab_lookup_address(table, UINT64_MAX, &symbol);
	(void)kt_symtab_lookup_name(table, "", &address);
	(void)kt_symtab_lookup_name(table, "init_task", &address);
}

static void same_symbol(struct kt_symtab *decoded, struct kt_symtab *indexed,
			uint64_t at)
{
	struct kt_symbol d, x;
	bool found = kt_symtab_lookup_address(decoded, at, &d);
	if (found != kt_symtab_lookup_address(indexed, at, &x))
		abort();
	if (found && (strcmp(d.name, x.name) != 0 || d.address != x.address ||
		      d.size != x.size || d.type != x.type))
		abort();
	uint64_t da = 0, xa = 0;
	if (found && (!kt_symtab_lookup_name(decoded, d.name, &da) ||
		      !kt_symtab_lookup_name(indexed, d.name, &xa) || da != xa))
		abort();
}

/* The index on a copy laid out as the loader lays it out (it owns it). */
static void compare_index(const struct kt_kallsyms_buffers *b, struct kt_symtab *decoded,
			  const struct kt_error *decode_err)
{
	struct kt_kallsyms_location at = { .count = b->count, .names_size = b->names_size,
					   .token_table_size = b->token_table_size,
					   .relative_base = b->relative_base };
	struct kt_kallsyms_buffers copy;
	if (b->count == 0 || kt_kallsyms_alloc(&at, &copy) != NULL)
		return;
	memcpy((char *)copy.token_table, b->token_table, b->token_table_size);
	memcpy((void *)copy.token_index, b->token_index, 256 * sizeof(uint16_t));
	memcpy((void *)copy.names, b->names, b->names_size);
	memcpy((void *)copy.offsets, b->offsets, (size_t)b->count * sizeof(int32_t));
	struct kt_symtab *table = kt_symtab_create();
	bool indexed = false;
	struct kt_error *err = table ? kt_symtab_index_kallsyms(table, &copy, &indexed) : NULL;
	if (!indexed)
		kt_kallsyms_free(&copy);
	if (err && (!decode_err ||
		    strcmp(kt_error_string(err), kt_error_string(decode_err)) != 0))
		abort(); /* the index fails where, and as, the decoder fails */
	if (indexed && decode_err)
		abort();
	for (uint32_t i = 0; indexed && i < b->count && i < 64; i++) {
		uint64_t a = b->relative_base + (uint32_t)b->offsets[i];
		same_symbol(decoded, table, a);
		same_symbol(decoded, table, a - 1);
	}
	fuzz_drop(err);
	kt_symtab_destroy(table);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_cursor c = { data, size };
	uint32_t count = fuzz_u32(&c);
	struct kt_kallsyms_buffers b = { .relative_base = fuzz_u64(&c) };
	uint16_t token_table_size = fuzz_u16(&c);
	uint32_t names_size = fuzz_u32(&c);
	size_t offsets_size;
	char *token_table = copy(&c, token_table_size, &b.token_table_size);
	uint16_t *token_index = calloc(256, sizeof(uint16_t));
	if (token_index)
		fuzz_take(&c, token_index, 256 * sizeof(uint16_t));
	uint8_t *names = copy(&c, names_size, &b.names_size);
	int32_t *offsets = copy(&c, c.size & ~(size_t)3, &offsets_size);
	struct kt_symtab *table = kt_symtab_create();
	if (token_table && token_index && names && offsets && table) {
		b.token_table = token_table;
		b.token_index = token_index;
		b.names = names;
		b.offsets = offsets;
		b.count = count < offsets_size / 4 ? count : (uint32_t)(offsets_size / 4);
		struct kt_error *err = kt_kallsyms_decode(&b, table);
		if (!err)
			err = kt_symtab_finish(table);
		if (!err)
			lookups(table, &b);
		compare_index(&b, table, err);
		if (fuzz_verbose())
			fprintf(stderr, "%u symbols: %s\n", b.count, kt_error_string(err));
		fuzz_drop(err);
	}
	kt_symtab_destroy(table);
	free(token_table);
	free(token_index);
	free(names);
	free(offsets);
	return 0;
}
