// SPDX-License-Identifier: MIT
/*
 * The kernel model's bootstrap stages on the bundled sample dump: built in
 * order by kt_kernel_load, each once; a stage that fails (types from a BTF
 * file that is not BTF) stays failed, says why each time it is asked, and
 * leaves what does not need it (the log, the symbols) working.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ktriage/kernel.h"

static const char *sample_path(char *buf, size_t size)
{
	const char *dir = getenv("KT_SAMPLE");
	snprintf(buf, size, "%s/vmcore.kdump", dir ? dir : "samples/cgroup_deadlock");
	return buf;
}

static struct kt_dump *open_sample(void)
{
	char path[4096];
	struct kt_dump *dump;
	struct kt_error *err = kt_dump_open(sample_path(path, sizeof(path)), &dump);
	if (err)
		fail_msg("%s", kt_error_string(err));
	return dump;
}

static void test_load_builds_every_stage_once(void **state)
{
	struct kt_dump *dump = open_sample();
	struct kt_kernel *k;
	assert_null(kt_kernel_open(dump, NULL, &k));
	struct kt_error *err = kt_kernel_load(k, KT_KERNEL_NR_STAGES - 1);
	if (err)
		fail_msg("kt_kernel_load: %s", kt_error_string(err));
	assert_true(kt_kernel_nr_cpus(k) >= 1);
	uint64_t address;
	assert_null(kt_symbol_address(k, "init_task", &address));
	size_t warnings = kt_kernel_warning_count(k);
	assert_null(kt_kernel_load(k, KT_KERNEL_NR_STAGES - 1)); /* built: nothing again */
	assert_int_equal(kt_kernel_warning_count(k), warnings);
	kt_kernel_close(k);
	kt_dump_close(dump);
}

static void test_a_failed_stage_stays_failed_and_the_rest_works(void **state)
{
	char btf[] = "/tmp/kt-stages-XXXXXX";
	int fd = mkstemp(btf);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not BTF at all, just text\n", 26), 26);
	close(fd);
	struct kt_dump *dump = open_sample();
	struct kt_kernel *k;
	struct kt_kernel_options options = { .btf = btf };
	assert_null(kt_kernel_open(dump, &options, &k));
	assert_null(kt_kernel_load(k, KT_KERNEL_SYMBOLS));
	struct kt_error *first = kt_kernel_load(k, KT_KERNEL_TYPES);
	assert_non_null(first);
	struct kt_error *again = kt_kernel_load(k, KT_KERNEL_TYPES);
	assert_non_null(again);
	assert_string_equal(kt_error_string(first), kt_error_string(again));
	kt_error_free(first);
	kt_error_free(again);
	const struct kt_log_record *records;
	size_t count;
	assert_null(kt_log_records(k, &records, &count));
	assert_true(count > 0);
	uint64_t address;
	assert_null(kt_symbol_address(k, "init_task", &address));
	kt_kernel_close(k);
	kt_dump_close(dump);
	unlink(btf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_builds_every_stage_once),
		cmocka_unit_test(test_a_failed_stage_stays_failed_and_the_rest_works),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
