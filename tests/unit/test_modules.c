// SPDX-License-Identifier: MIT
/*
 * Taint letters for every flag of kernel/panic.c, in the kernel's order,
 * truncation and unknown bits; then, on the bundled sample dump, the module
 * list, lookups by address, module symbols both ways and the kernel's taint.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/kernel/modules.h"

#define BIT(n) (1ull << (n))

/* ---- Taint letters ------------------------------------------------------ */

static void expect_letters(uint64_t mask, const char *want)
{
	char got[80];
	memset(got, 'x', sizeof(got));
	kt_taint_letters(mask, got, sizeof(got));
	if (strcmp(got, want) != 0)
		fail_msg("mask 0x%llx: got \"%s\", expected \"%s\"",
			 (unsigned long long)mask, got, want);
}

static void test_no_taint_is_empty(void **state)
{
	expect_letters(0, "");
}

static void test_each_flag_has_the_kernels_letter(void **state)
{
	static const char letters[] = "PFSRMBUDAWCIOELKXTNJ";
	for (unsigned bit = 0; bit < sizeof(letters) - 1; bit++) {
		char want[2] = { letters[bit], '\0' };
		expect_letters(BIT(bit), want);
	}
}

static void test_letters_come_in_bit_order(void **state)
{
	/* What the vmlab modules carry: out of tree, unsigned. */
	expect_letters(BIT(12) | BIT(13), "OE");
	expect_letters(BIT(13) | BIT(0) | BIT(9) | BIT(12), "PWOE");
	expect_letters(BIT(7) | BIT(4) | BIT(14), "MDL");
}

static void test_unknown_bits_are_not_dropped(void **state)
{
	expect_letters(BIT(40), "?");
	expect_letters(BIT(63) | BIT(12), "O?");
}

static void test_letters_are_truncated_and_terminated(void **state)
{
	char buf[3] = { 'x', 'x', 'x' };
	kt_taint_letters(BIT(0) | BIT(12) | BIT(13), buf, sizeof(buf));
	assert_string_equal(buf, "PO");
	char one = 'x';
	kt_taint_letters(BIT(0), &one, 1);
	assert_int_equal(one, '\0');
	kt_taint_letters(BIT(0), NULL, 0); /* nowhere to write: nothing done */
}

static void test_module_letters_keep_module_flags_only(void **state)
{
	char buf[32];
	/* W (warn) and D (die) are the kernel's, never a module's. */
	kt_module_taint_letters(BIT(9) | BIT(7) | BIT(12) | BIT(13), buf, sizeof(buf));
	assert_string_equal(buf, "OE");
	kt_module_taint_letters(BIT(0) | BIT(1) | BIT(10) | BIT(15), buf, sizeof(buf));
	assert_string_equal(buf, "PFCK");
}

/* ---- The sample dump ------------------------------------------------------ */

#include "sample.h"

static const struct kt_module *find_module(struct kt_kernel *k, const char *name)
{
	const struct kt_module *modules;
	size_t count;
	struct kt_error *err = kt_modules(k, &modules, &count);
	if (err)
		fail_msg("kt_modules: %s", kt_error_string(err));
	for (size_t i = 0; i < count; i++)
		if (strcmp(modules[i].name, name) == 0)
			return &modules[i];
	fail_msg("module %s not in the list of %zu", name, count);
	return NULL;
}

/* The sample's scenario module (crash-ref/mod_-t.txt: ctrsvc OE). */
static void test_sample_module_list(void **state)
{
	struct kt_kernel *k = ((struct sample *)*state)->kernel;
	const struct kt_module *modules, *again;
	size_t count;
	assert_null(kt_modules(k, &modules, &count));
	assert_true(count >= 1);
	for (size_t i = 1; i < count; i++)
		if (modules[i].base < modules[i - 1].base)
			fail_msg("modules %s and %s are not in base order",
				 modules[i - 1].name, modules[i].name);
	assert_null(kt_modules(k, &again, &count));
	assert_ptr_equal(again, modules);
	const struct kt_module *m = find_module(k, "ctrsvc");
	assert_string_equal(m->taint_letters, "OE");
	assert_int_equal(m->taints, BIT(12) | BIT(13));
	assert_true(m->base && m->size && m->text_size && m->text_size <= m->size);
	assert_true(kt_kernel_is_kernel_address(k, m->address));
}

static void test_sample_lookup_by_address(void **state)
{
	struct kt_kernel *k = ((struct sample *)*state)->kernel;
	const struct kt_module *m = find_module(k, "ctrsvc");
	assert_ptr_equal(kt_module_at(k, m->base), m);
	assert_ptr_equal(kt_module_at(k, m->base + m->size - 1), m);
	assert_true(kt_module_text_contains(k, m->base));
	assert_true(kt_symbol_is_text(k, m->base + m->text_size - 1));
	assert_false(kt_module_text_contains(k, m->base + m->text_size));
	assert_null(kt_module_at(k, 0));
}

static void test_sample_module_symbols_both_ways(void **state)
{
	struct kt_kernel *k = ((struct sample *)*state)->kernel;
	const struct kt_module *m = find_module(k, "ctrsvc");
	struct kt_symbol sym;
	uint64_t offset, address;
	struct kt_error *err = kt_symbol_at(k, m->base + 1, &sym, &offset);
	if (err)
		fail_msg("no symbol at ctrsvc's text + 1: %s", kt_error_string(err));
	assert_non_null(sym.module);
	assert_string_equal(sym.module, "ctrsvc");
	assert_true(sym.address <= m->base + 1 && offset == m->base + 1 - sym.address);
	assert_true(sym.type == 't' || sym.type == 'T');
	assert_true(sym.size && sym.address + sym.size <= m->base + m->text_size);
	assert_null(kt_symbol_address(k, sym.name, &address));
	assert_int_equal(address, sym.address);
	/* The module's own struct module is a data symbol of the module. */
	err = kt_symbol_at(k, m->address, &sym, &offset);
	if (err)
		fail_msg("no symbol at struct module 0x%llx: %s",
			 (unsigned long long)m->address, kt_error_string(err));
	assert_string_equal(sym.name, "__this_module");
	assert_int_equal(offset, 0);
}

static void test_sample_kernel_taint(void **state)
{
	struct kt_kernel *k = ((struct sample *)*state)->kernel;
	uint64_t mask;
	char letters[32];
	assert_null(kt_kernel_taint(k, &mask, letters, sizeof(letters)));
	/* drgn-ref/meta.json: taint_mask 12288. */
	assert_int_equal(mask, BIT(12) | BIT(13));
	assert_string_equal(letters, "OE");
}

int main(void)
{
	const struct CMUnitTest taint_tests[] = {
		cmocka_unit_test(test_no_taint_is_empty),
		cmocka_unit_test(test_each_flag_has_the_kernels_letter),
		cmocka_unit_test(test_letters_come_in_bit_order),
		cmocka_unit_test(test_unknown_bits_are_not_dropped),
		cmocka_unit_test(test_letters_are_truncated_and_terminated),
		cmocka_unit_test(test_module_letters_keep_module_flags_only),
	};
	const struct CMUnitTest sample_tests[] = {
		cmocka_unit_test(test_sample_module_list),
		cmocka_unit_test(test_sample_lookup_by_address),
		cmocka_unit_test(test_sample_module_symbols_both_ways),
		cmocka_unit_test(test_sample_kernel_taint),
	};
	int failed = cmocka_run_group_tests_name("taint letters", taint_tests,
						 NULL, NULL);
	failed += cmocka_run_group_tests_name("modules on the sample dump",
					      sample_tests, sample_open,
					      sample_close);
	return failed;
}
