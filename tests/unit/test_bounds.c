// SPDX-License-Identifier: MIT
/*
 * Bounds on walks of hostile kernel memory: a kernel cannot hold more
 * objects than its memory has room for, so lists of tasks and modules stop
 * there (kt_kernel_max_objects), well before KT_MAX_LIST_ENTRIES on any
 * ordinary dump; and on the bundled sample, the task list is far below its
 * bound and complete.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/dump/internal.h"
#include "../../lib/kernel/internal.h"

/* A dump that only has a size: max_objects reads nothing else. */
static struct kt_dump *sized_dump(uint64_t max_pfn, uint32_t page_size)
{
	struct kt_dump *dump = kt_dump_alloc("sized");
	assert_non_null(dump);
	dump->info.max_pfn = max_pfn;
	dump->info.page_size = page_size;
	return dump;
}

static void test_max_objects_follows_memory(void **state)
{
	struct kt_dump *dump = sized_dump(16, 4096);
	struct kt_kernel kernel = { .dump = dump };
	/* 64 KiB of memory: 16 pages of 4 KiB, 6 tasks of 10 KiB (+1 slack). */
	assert_int_equal(kt_kernel_max_objects(&kernel, 4096), 17);
	assert_int_equal(kt_kernel_max_objects(&kernel, 10240), 7);
	assert_int_equal(kt_kernel_max_objects(&kernel, 1 << 20), 1);
	/* An unknown size gives the global bound, never zero. */
	assert_int_equal(kt_kernel_max_objects(&kernel, 0), KT_MAX_LIST_ENTRIES);
	free(dump);
}

static void test_max_objects_is_capped(void **state)
{
	/* A terabyte of small objects, and a max_pfn whose size overflows. */
	struct kt_dump *dump = sized_dump(1ull << 28, 4096);
	struct kt_kernel kernel = { .dump = dump };
	assert_int_equal(kt_kernel_max_objects(&kernel, 64), KT_MAX_LIST_ENTRIES);
	dump->info.max_pfn = UINT64_MAX / 2;
	assert_int_equal(kt_kernel_max_objects(&kernel, 4096), KT_MAX_LIST_ENTRIES);
	free(dump);
}

static void test_sample_tasks_within_bound(void **state)
{
	const char *sample = getenv("KT_SAMPLE");
	if (!sample)
		skip();
	char path[4096];
	snprintf(path, sizeof(path), "%s/vmcore.kdump", sample);
	struct kt_dump *dump;
	struct kt_kernel *kernel;
	struct kt_error *err = kt_dump_open(path, &dump);
	if (err)
		fail_msg("%s", kt_error_string(err));
	err = kt_kernel_open(dump, NULL, &kernel);
	if (err)
		fail_msg("%s", kt_error_string(err));
	const struct kt_task *tasks;
	size_t count;
	err = kt_tasks(kernel, &tasks, &count);
	if (err)
		fail_msg("%s", kt_error_string(err));
	uint64_t size;
	err = kt_type_sizeof(kernel, "struct task_struct", &size);
	if (err)
		fail_msg("%s", kt_error_string(err));
	size_t bound = kt_kernel_max_objects(kernel, size);
	if (count == 0 || count >= bound || bound >= KT_MAX_LIST_ENTRIES)
		fail_msg("%zu tasks, bound %zu (task_struct %llu bytes)", count, bound,
			 (unsigned long long)size);
	for (size_t i = 0; i < kt_kernel_warning_count(kernel); i++)
		if (strstr(kt_kernel_warning(kernel, i), "more than the dump's memory"))
			fail_msg("the sample's task list was cut: %s",
				 kt_kernel_warning(kernel, i));
	kt_kernel_close(kernel);
	kt_dump_close(dump);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_max_objects_follows_memory),
		cmocka_unit_test(test_max_objects_is_capped),
		cmocka_unit_test(test_sample_tasks_within_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
