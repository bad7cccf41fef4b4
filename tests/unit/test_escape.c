// SPDX-License-Identifier: MIT
/*
 * The one escaping rule (lib/escape.c): what a terminal, the journal and
 * JSON get from hostile names.  Printable UTF-8 stays; controls, C1,
 * bidirectional overrides and bytes that are not UTF-8 become \xNN.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "ktriage/base.h"

static void expect_escaped(const char *in, size_t len, unsigned flags, const char *want)
{
	char *got = kt_escape_len(in, len, flags);
	assert_non_null(got);
	bool same = strcmp(got, want) == 0;
	if (!same)
		print_error("escaped \"%s\", expected \"%s\"\n", got, want);
	free(got);
	assert_true(same);
	assert_int_equal(kt_escape_needed(in, len, flags), len != strlen(want) ||
			 memcmp(in, want, len) != 0);
}

static void controls_and_invalid_bytes_become_hex(void **state)
{
	const char forged[] = "dir\n<0>ktriaged: forged\x1b]0;title\x07\x1b[2J";
	expect_escaped(forged, strlen(forged), 0,
		       "dir\\x0a<0>ktriaged: forged\\x1b]0;title\\x07\\x1b[2J");
	expect_escaped("a\x7f" "b\tc\rd", 7, 0, "a\\x7fb\\x09c\\x0dd");
	/* Not UTF-8: a lone continuation byte, a truncated sequence, an overlong '/'. */
	expect_escaped("\x80x\xe2\x82y\xc0\xaf", 7, 0, "\\x80x\\xe2\\x82y\\xc0\\xaf");
	/* C1 CSI (U+009B), right-to-left override (U+202E), line separator (U+2028). */
	const char c1_bidi[] = "\xc2\x9b" "1m \xe2\x80\xae" "fdp.exe \xe2\x80\xa8";
	expect_escaped(c1_bidi, sizeof(c1_bidi) - 1, 0,
		       "\\xc2\\x9b1m \\xe2\\x80\\xaefdp.exe \\xe2\\x80\\xa8");
	/* A NUL inside the bytes (a length-counted name) is shown, not a terminator. */
	expect_escaped("a\0b", 3, 0, "a\\x00b");
}

static void printable_text_is_unchanged(void **state)
{
	const char *kept[] = { "/var/crash/127.0.0.1-2024-05-03-00:00:00/vmcore",
			       "kworker/0:1H", "ACPI: \\_SB_.LNKB: Enabled", "crème brûlée 日本 🙂",
			       "" };
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		expect_escaped(kept[i], strlen(kept[i]), 0, kept[i]);
	expect_escaped("two\nlines\tand tab", 17, KT_ESCAPE_KEEP_LINES, "two\nlines\tand tab");
	expect_escaped("esc\x1b[31m\n", 9, KT_ESCAPE_KEEP_LINES, "esc\\x1b[31m\n");
}

static void json_is_valid_utf8_and_the_path_recoverable(void **state)
{
	const char path[] = "/var/crash/\xff\xfe\n\x1b[2J/vmcore";
	struct json_object *o = json_object_new_object();
	kt_json_add_path(o, "dump", path);
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	for (const unsigned char *p = (const unsigned char *)text; *p;) {
		size_t seq = kt_utf8_sequence(p, strlen((const char *)p));
		assert_true(seq > 0);
		p += seq;
	}
	struct json_object *v;
	assert_true(json_object_object_get_ex(o, "dump", &v));
	assert_string_equal(json_object_get_string(v),
			    "/var/crash/\\xff\\xfe\\x0a\\x1b[2J/vmcore");
	assert_true(json_object_object_get_ex(o, "dump_base64", &v));
	assert_string_equal(json_object_get_string(v), "L3Zhci9jcmFzaC///gobWzJKL3ZtY29yZQ==");
	json_object_put(o);
	/* A clean path has no second field. */
	o = json_object_new_object();
	kt_json_add_path(o, "dump", "/var/crash/vmcore");
	assert_false(json_object_object_get_ex(o, "dump_base64", &v));
	json_object_put(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(controls_and_invalid_bytes_become_hex),
		cmocka_unit_test(printable_text_is_unchanged),
		cmocka_unit_test(json_is_valid_utf8_and_the_path_recoverable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
