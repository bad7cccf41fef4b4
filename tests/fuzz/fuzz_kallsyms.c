// SPDX-License-Identifier: MIT
/*
 * kallsyms decoding (kt_kallsyms_decode) on hostile tables, then the
 * symbol table built from them: sort, hash, lookups by name and address.
 *
 * Input: u32 count, u64 relative_base, u16 token table size, u32 names
 * size; then the token table, the 256-entry token index, the names and
 * the offsets (count is cut to the offsets the input holds, as the loader
 * reads exactly count of them).  Each table is copied to a buffer of its
 * exact size, so the decoder cannot read past one unseen.
 */
#include <stdlib.h>

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
