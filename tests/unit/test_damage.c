// SPDX-License-Identifier: MIT
/*
 * The damage route's base (error.h): the static not-found error a probe
 * returns allocates nothing and survives free and wrap; the catch helper;
 * a damage list keeps its entries in order, bounded at KT_DAMAGE_MAX.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktriage/error.h"

static void not_found_is_static(void **state)
{
	kt_error_free(&kt_error_not_found); /* a no-op, or ASan would say */
	assert_int_equal(kt_error_not_found.code, KT_ERR_NOT_FOUND);
	struct kt_error *wrapped = kt_error_wrap(&kt_error_not_found, "type %s", "x");
	assert_ptr_not_equal(wrapped, &kt_error_not_found);
	assert_string_equal(kt_error_string(wrapped), "type x: not found");
	assert_string_equal(kt_error_string(&kt_error_not_found), "not found");
	kt_error_free(wrapped);
}

static void catch_frees_and_says(void **state)
{
	assert_false(kt_error_catch(NULL));
	assert_true(kt_error_catch(&kt_error_not_found));
	assert_true(kt_error_catch(kt_error_create(KT_ERR_FAULT, "0x%x", 16)));
}

static void damage_list_keeps_order_and_bound(void **state)
{
	struct kt_damage *list = NULL;
	assert_int_equal(kt_damage_count(list), 0);
	assert_null(kt_damage_at(list, 0));
	assert_true(kt_damage_add(&list, KT_ERR_INVALID, 0x1000, "first %d", 1));
	assert_true(kt_damage_add(&list, KT_ERR_FAULT, 0, "second"));
	const struct kt_damage_entry *e = kt_damage_at(list, 0);
	assert_int_equal(e->code, KT_ERR_INVALID);
	assert_int_equal(e->object, 0x1000);
	assert_string_equal(e->message, "first 1");
	assert_string_equal(kt_damage_at(list, 1)->message, "second");
	for (size_t i = 2; i < KT_DAMAGE_MAX; i++)
		assert_true(kt_damage_add(&list, KT_ERR_INVALID, i, "entry %zu", i));
	assert_false(kt_damage_add(&list, KT_ERR_INVALID, 0, "one too many"));
	assert_int_equal(kt_damage_count(list), KT_DAMAGE_MAX);
	assert_null(kt_damage_at(list, KT_DAMAGE_MAX));
	kt_damage_free(list);
	kt_damage_free(NULL);
}

/* The fixed buffer kt_lock.problem was, as kt_lock_note filled it: the
 * joined text must stay byte for byte what bt, locks and analyze showed. */
static void old_note(char *buf, size_t size, const char *note)
{
	size_t used = strlen(buf);
	if (used + 3 >= size)
		return;
	if (used) {
		memcpy(buf + used, "; ", 3);
		used += 2;
	}
	size_t len = strlen(note);
	if (len > size - used - 1)
		len = size - used - 1;
	memcpy(buf + used, note, len);
	buf[used + len] = '\0';
}

static void joined_is_the_old_buffer(void **state)
{
	srand(20);
	for (int round = 0; round < 500; round++) {
		char old[192] = "";
		struct kt_damage *list = NULL;
		int n = rand() % 12;
		for (int i = 0; i < n; i++) {
			char note[300];
			size_t len = (size_t)(rand() % 120);
			memset(note, 'a' + i, len);
			note[len] = '\0';
			old_note(old, sizeof(old), note);
			kt_damage_add(&list, KT_ERR_INVALID, 0, "%s", note);
		}
		assert_string_equal(kt_damage_joined(list, sizeof(old) - 1), old);
		kt_damage_free(list);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(not_found_is_static),
		cmocka_unit_test(catch_frees_and_says),
		cmocka_unit_test(damage_list_keeps_order_and_bound),
		cmocka_unit_test(joined_is_the_old_buffer),
	};
	return cmocka_run_group_tests_name("damage", tests, NULL, NULL);
}
