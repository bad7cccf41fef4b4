// SPDX-License-Identifier: MIT
/*
 * The per-build cache's files: what is put comes back; a damaged,
 * truncated or foreign entry is a miss and goes; a BUILD-ID that is not
 * plain hex names no file; the directory is trimmed to its bound, oldest
 * first; a sandboxed writer's entry is adopted only when whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ktriage/build_cache.h"

#define ID "0123456789abcdef0123456789abcdef01234567"

static char dir[64];

static int make_dir(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/kt-build-cache-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void entry_file(const char *id, const char *kind, char *path, size_t size)
{
	snprintf(path, size, "%s/%s.%s.ktc", dir, id, kind);
}

static void put_two(const char *id, const char *kind, uint64_t bound)
{
	static char a[] = "first section", b[3000];
	memset(b, 'b', sizeof(b));
	struct kt_build_cache_section s[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	struct kt_error *err = kt_build_cache_put(dir, id, kind, 2, s, bound);
	if (err)
		fail_msg("put: %s", kt_error_string(err));
}

static bool get_two(const char *id, const char *kind)
{
	struct kt_build_cache_section s[2];
	struct kt_error *err = kt_build_cache_get(dir, id, kind, 2, s);
	if (err) {
		assert_int_equal(err->code, KT_ERR_NOT_FOUND);
		kt_error_free(err);
		return false;
	}
	assert_int_equal(s[0].size, sizeof("first section"));
	assert_string_equal(s[0].data, "first section");
	assert_int_equal(s[1].size, 3000);
	assert_int_equal(((char *)s[1].data)[2999], 'b');
	kt_build_cache_sections_free(2, s);
	return true;
}

static void test_what_is_put_comes_back(void **state)
{
	put_two(ID, "btf", KT_BUILD_CACHE_DEFAULT_BYTES);
	assert_true(get_two(ID, "btf"));
	assert_false(get_two(ID, "kallsyms")); /* another kind */
	assert_false(get_two("ffff", "btf")); /* another build */
}

static void damage(const char *path, off_t at, bool truncate_there)
{
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	if (truncate_there) {
		assert_int_equal(ftruncate(fd, at), 0);
	} else {
		char c;
		assert_int_equal(pread(fd, &c, 1, at), 1);
		c ^= 0x40;
		assert_int_equal(pwrite(fd, &c, 1, at), 1);
	}
	close(fd);
}

static void test_a_damaged_entry_is_a_miss_and_goes(void **state)
{
	char path[256];
	entry_file(ID, "btf", path, sizeof(path));
	struct stat st;
	off_t places[] = { 0, 20, 200, 0 };
	for (int i = 0; i < 4; i++) {
		put_two(ID, "btf", KT_BUILD_CACHE_DEFAULT_BYTES);
		assert_int_equal(stat(path, &st), 0);
		damage(path, i == 3 ? st.st_size - 100 : st.st_size - 1 - places[i], i == 3);
		assert_false(get_two(ID, "btf"));
		if (stat(path, &st) == 0)
			fail_msg("damage %d: the entry was left in place", i);
	}
}

static void test_a_build_id_that_is_not_hex_names_no_file(void **state)
{
	static const char *const bad[] = { "../../etc/passwd", "", "ABCDEF", "12 34", "a/b" };
	char data[] = "x";
	struct kt_build_cache_section s = { data, 1 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kt_error *err = kt_build_cache_put(dir, bad[i], "btf", 1, &s, 1 << 20);
		if (!err)
			fail_msg("BUILD-ID \"%s\" was accepted", bad[i]);
		kt_error_free(err);
		assert_non_null(err = kt_build_cache_get(dir, bad[i], "btf", 1, &s));
		kt_error_free(err);
	}
}

static void test_the_directory_is_trimmed_oldest_first(void **state)
{
	char path[256];
	const char *ids[] = { "aa01", "aa02", "aa03" };
	for (int i = 0; i < 3; i++) {
		put_two(ids[i], "kallsyms", 7000); /* each ~3.2 KB: two fit */
		entry_file(ids[i], "kallsyms", path, sizeof(path));
		struct timespec t[2] = { { 1000 + i, 0 }, { 1000 + i, 0 } };
		assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
	}
	assert_false(get_two("aa01", "kallsyms"));
	assert_true(get_two("aa02", "kallsyms"));
	assert_true(get_two("aa03", "kallsyms"));
}

static int written_entry(bool damaged)
{
	int fd = open(dir, O_TMPFILE | O_RDWR, 0644);
	assert_true(fd >= 0);
	char data[] = "adopted";
	struct kt_build_cache_section s = { data, sizeof(data) };
	assert_null(kt_build_cache_write(fd, "bb01", "btf", 1, &s));
	if (damaged)
		assert_int_equal(pwrite(fd, "X", 1, lseek(fd, 0, SEEK_END) - 2), 1);
	return fd;
}

static void test_a_writers_entry_is_adopted_when_whole(void **state)
{
	struct kt_build_cache_section s;
	int fd = written_entry(true);
	struct kt_error *err = kt_build_cache_adopt(dir, fd, 1 << 20);
	assert_non_null(err);
	assert_int_equal(err->code, KT_ERR_FORMAT);
	kt_error_free(err);
	close(fd);
	assert_non_null(err = kt_build_cache_get(dir, "bb01", "btf", 1, &s));
	kt_error_free(err);

	fd = written_entry(false);
	assert_null(kt_build_cache_adopt(dir, fd, 1 << 20));
	close(fd);
	assert_null(kt_build_cache_get(dir, "bb01", "btf", 1, &s));
	assert_string_equal(s.data, "adopted");
	kt_build_cache_sections_free(1, &s);

	fd = open(dir, O_TMPFILE | O_RDWR, 0644); /* the worker wrote nothing */
	assert_non_null(err = kt_build_cache_adopt(dir, fd, 1 << 20));
	assert_int_equal(err->code, KT_ERR_NOT_FOUND);
	kt_error_free(err);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_what_is_put_comes_back),
		cmocka_unit_test(test_a_damaged_entry_is_a_miss_and_goes),
		cmocka_unit_test(test_a_build_id_that_is_not_hex_names_no_file),
		cmocka_unit_test(test_the_directory_is_trimmed_oldest_first),
		cmocka_unit_test(test_a_writers_entry_is_adopted_when_whole),
	};
	return cmocka_run_group_tests_name("build cache files", tests, make_dir, remove_dir);
}
