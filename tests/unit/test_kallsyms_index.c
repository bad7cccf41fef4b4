// SPDX-License-Identifier: MIT
/*
 * The kallsyms index (names expanded on demand) against the eager decoder
 * on the bundled sample dump's own tables: every symbol found by address
 * and by name gives the same answer both ways; damaged tables fail with the
 * same message; a table out of address order is left to the decoder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sample.h"
#include "../../lib/kernel/symtab.h"

struct tables {
	struct kt_kallsyms_buffers b;
	struct kt_symtab *eager, *lazy;
};

static struct kt_symtab *eager_table(const struct kt_kallsyms_buffers *b)
{
	struct kt_symtab *t = kt_symtab_create();
	assert_non_null(t);
	struct kt_error *err = kt_kallsyms_decode(b, t);
	if (!err)
		err = kt_symtab_finish(t);
	if (err)
		fail_msg("decode: %s", kt_error_string(err));
	return t;
}

static void read_tables(void **state, struct tables *t)
{
	struct sample *s = *state;
	struct kt_error *err = kt_kallsyms_read(s->kernel, &t->b);
	if (err)
		fail_msg("kallsyms: %s", kt_error_string(err));
	t->eager = eager_table(&t->b);
	t->lazy = kt_symtab_create();
	assert_non_null(t->lazy);
	bool indexed = false;
	err = kt_symtab_index_kallsyms(t->lazy, &t->b, &indexed);
	if (err)
		fail_msg("index: %s", kt_error_string(err));
	if (!indexed)
		fail_msg("the sample's kallsyms is in address order, yet not indexed");
}

static void free_tables(struct tables *t)
{
	kt_symtab_destroy(t->eager); /* the lazy table owns the buffers */
	kt_symtab_destroy(t->lazy);
}

static void expect_same_at(struct tables *t, uint64_t address)
{
	struct kt_symbol e, l;
	bool found_e = kt_symtab_lookup_address(t->eager, address, &e);
	bool found_l = kt_symtab_lookup_address(t->lazy, address, &l);
	if (found_e != found_l)
		fail_msg("0x%llx: found %d eagerly, %d lazily",
			 (unsigned long long)address, found_e, found_l);
	if (found_e && (strcmp(e.name, l.name) != 0 || e.address != l.address ||
			e.size != l.size || e.type != l.type))
		fail_msg("0x%llx: %s+%llu %c eagerly, %s+%llu %c lazily",
			 (unsigned long long)address, e.name, (unsigned long long)e.size,
			 e.type, l.name, (unsigned long long)l.size, l.type);
}

static void expect_same_name(struct tables *t, const char *name)
{
	uint64_t e = 0, l = 0;
	bool found_e = kt_symtab_lookup_name(t->eager, name, &e);
	bool found_l = kt_symtab_lookup_name(t->lazy, name, &l);
	if (found_e != found_l || e != l)
		fail_msg("%s: 0x%llx (%d) eagerly, 0x%llx (%d) lazily", name,
			 (unsigned long long)e, found_e, (unsigned long long)l, found_l);
}

static void test_every_symbol_is_the_same_both_ways(void **state)
{
	struct tables t;
	read_tables(state, &t);
	assert_int_equal(kt_symtab_count(t.eager), kt_symtab_count(t.lazy));
	assert_true(kt_symtab_count(t.lazy) > 10000);
	bool absolute = kt_kallsyms_absolute_percpu(t.b.offsets, t.b.count);
	for (uint32_t i = 0; i < t.b.count; i++) {
		uint64_t a = kt_kallsyms_address(t.b.offsets[i], t.b.relative_base, absolute);
		expect_same_at(&t, a - 1);
		expect_same_at(&t, a);
		expect_same_at(&t, a + 1);
		struct kt_symbol sym;
		if (kt_symtab_lookup_address(t.eager, a, &sym))
			expect_same_name(&t, sym.name);
	}
	expect_same_at(&t, 0);
	expect_same_at(&t, UINT64_MAX);
	expect_same_name(&t, "");
	expect_same_name(&t, "no_such_symbol_in_any_kernel");
	free_tables(&t);
}

/* Duplicate names (static functions): the first in address order wins. */
static void test_duplicate_names_resolve_alike(void **state)
{
	struct tables t;
	read_tables(state, &t);
	static const char *const names[] = { "init_once", "show", "_stext",
					     "init_task", "__func__", "cleanup" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		expect_same_name(&t, names[i]);
	free_tables(&t);
}

static void expect_same_error(const struct kt_kallsyms_buffers *b)
{
	struct kt_symtab *eager = kt_symtab_create(), *lazy = kt_symtab_create();
	struct kt_error *e = kt_kallsyms_decode(b, eager);
	struct kt_kallsyms_buffers copy = *b;
	bool indexed = false;
	struct kt_error *l = kt_symtab_index_kallsyms(lazy, &copy, &indexed);
	if (!e || !l || strcmp(kt_error_string(e), kt_error_string(l)) != 0)
		fail_msg("eagerly \"%s\", lazily \"%s\"", e ? kt_error_string(e) : "ok",
			 l ? kt_error_string(l) : "ok");
	assert_false(indexed);
	kt_error_free(e);
	kt_error_free(l);
	kt_symtab_destroy(eager);
	kt_symtab_destroy(lazy);
}

static void test_damaged_tables_fail_alike(void **state)
{
	struct tables t;
	read_tables(state, &t);
	struct kt_kallsyms_buffers b = t.b;
	b.names_size /= 2; /* names end early */
	expect_same_error(&b);
	uint8_t *names = malloc(t.b.names_size);
	assert_non_null(names);
	memcpy(names, t.b.names, t.b.names_size);
	b = t.b;
	b.names = names;
	names[0] = 0; /* the first name: no tokens */
	expect_same_error(&b);
	uint16_t index[256];
	memcpy(index, t.b.token_index, sizeof(index));
	index[names[1]] = (uint16_t)t.b.token_table_size; /* a token outside the table */
	b.token_index = index;
	expect_same_error(&b);
	free(names);
	free_tables(&t);
}

static void test_out_of_order_is_left_to_the_decoder(void **state)
{
	struct tables t;
	read_tables(state, &t);
	int32_t *offsets = malloc((size_t)t.b.count * sizeof(*offsets));
	assert_non_null(offsets);
	memcpy(offsets, t.b.offsets, (size_t)t.b.count * sizeof(*offsets));
	int32_t swap = offsets[t.b.count / 2];
	offsets[t.b.count / 2] = offsets[t.b.count - 1];
	offsets[t.b.count - 1] = swap;
	struct kt_kallsyms_buffers b = t.b;
	b.offsets = offsets;
	struct kt_symtab *table = kt_symtab_create();
	bool indexed = true;
	assert_null(kt_symtab_index_kallsyms(table, &b, &indexed));
	assert_false(indexed);
	assert_int_equal(kt_symtab_count(table), 0);
	kt_symtab_destroy(table);
	free(offsets);
	free_tables(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_symbol_is_the_same_both_ways),
		cmocka_unit_test(test_duplicate_names_resolve_alike),
		cmocka_unit_test(test_damaged_tables_fail_alike),
		cmocka_unit_test(test_out_of_order_is_left_to_the_decoder),
	};
	return cmocka_run_group_tests_name("kallsyms index on the sample dump",
					   tests, sample_open, sample_close);
}
