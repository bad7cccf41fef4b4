// SPDX-License-Identifier: MIT
/*
 * A process's virtual size and resident set, as ps and crash's ps show
 * them: VSZ is mm->total_vm pages; RSS the mm's file, anon and shmem page
 * counters (enum MM_*PAGES from BTF) plus, where a thread caches counts
 * before folding them into the mm (SPLIT_RSS_COUNTING, before 6.2:
 * task->rss_stat), every thread's cached counts.  A negative sum is 0.
 */
#include <string.h>

#include "internal.h"

static const char *const counters[] = { "MM_FILEPAGES", "MM_ANONPAGES", "MM_SHMEMPAGES" };

/* Sum of the counters of an rss_stat array of `width`-byte signed counts. */
static int64_t sum_counters(struct kt_kernel *k, uint64_t array, unsigned width)
{
	int64_t sum = 0;
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		int64_t index;
		struct kt_error *err = kt_type_enum_value(k, NULL, counters[i], &index);
		if (err) {
			kt_error_free(err);
			continue;
		}
		uint64_t raw = 0;
		if (index < 0 || index > 16)
			continue;
		err = kt_kernel_read(k, array + (uint64_t)index * width, &raw, width);
		if (err) {
			kt_error_free(err);
			continue;
		}
		sum += width == 4 ? (int64_t)(int32_t)raw : (int64_t)raw;
	}
	return sum;
}

/*
 * The threads' cached counts (task->rss_stat.count[], ints) for this mm:
 * the threads of the group, so that ps over n tasks compares n * n pids
 * rather than reading n * n task_structs.
 */
static int64_t thread_counts(struct kt_kernel *k, int32_t tgid, uint64_t mm)
{
	uint64_t offset;
	struct kt_error *err = kt_type_offsetof(k, "struct task_struct", "rss_stat.count", &offset);
	if (err) {
		kt_error_free(err);
		return 0;
	}
	const struct kt_task *tasks;
	size_t count;
	err = kt_tasks(k, &tasks, &count);
	if (err) {
		kt_error_free(err);
		return 0;
	}
	int64_t sum = 0;
	for (size_t i = 0; i < count; i++) {
		uint64_t task_mm;
		if (tasks[i].tgid == tgid &&
		    kt_try_member(k, tasks[i].address, "struct task_struct", "mm", &task_mm) && task_mm == mm)
			sum += sum_counters(k, tasks[i].address + offset, 4);
	}
	return sum;
}

struct kt_error *kt_task_memory(struct kt_kernel *k, const struct kt_task *t,
				uint64_t *vsz_kb, uint64_t *rss_kb)
{
	uint64_t mm, total_vm, offset;
	*vsz_kb = *rss_kb = 0;
	if (!kt_try_member(k, t->address, "struct task_struct", "mm", &mm))
		return kt_error_create(KT_ERR_INVALID, "task %d: mm cannot be read", t->pid);
	if (!mm)
		return NULL;
	struct kt_error *err = kt_type_offsetof(k, "struct mm_struct", "rss_stat.count", &offset);
	if (err)
		return kt_error_wrap(err, "task %d: RSS", t->pid);
	if (!kt_try_member(k, mm, "struct mm_struct", "total_vm", &total_vm))
		return kt_error_create(KT_ERR_INVALID, "task %d: mm 0x%llx cannot be read",
				       t->pid, (unsigned long long)mm);
	int64_t pages = sum_counters(k, mm + offset, 8) + thread_counts(k, t->tgid, mm);
	*vsz_kb = total_vm * (k->page_size / 1024);
	*rss_kb = pages > 0 ? (uint64_t)pages * (k->page_size / 1024) : 0;
	return NULL;
}
