// SPDX-License-Identifier: MIT
/*
 * Why a blocked task sleeps, read from its stack as the kernel printed it:
 * the wait primitive (the slow path it sleeps in), the first frame that is
 * not plumbing (the code that wanted the lock), and, for the few locks
 * whose takers are well known, the lock's name.  Memory evidence (the lock
 * object found from the waiter, its owner) replaces the inference when the
 * model has it.
 */
#include <string.h>

#include "internal.h"

struct primitive {
	const char *function;
	const char *primitive;
	const char *mode;
};

/* Slow paths, innermost first as they appear on the stack (kernel 3.x-6.x). */
static const struct primitive primitives[] = {
	{ "__mutex_lock", "mutex", NULL },
	{ "__mutex_lock_common", "mutex", NULL },
	{ "mutex_optimistic_spin", "mutex", NULL },
	{ "__mutex_lock_slowpath", "mutex", NULL },
	{ "__mutex_lock_killable_slowpath", "mutex", NULL },
	{ "__mutex_lock_interruptible_slowpath", "mutex", NULL },
	{ "mutex_lock", "mutex", NULL },
	{ "mutex_lock_nested", "mutex", NULL },
	{ "mutex_lock_killable", "mutex", NULL },
	{ "mutex_lock_interruptible", "mutex", NULL },
	{ "mutex_lock_io", "mutex", NULL },
	{ "rt_mutex_slowlock_block", "rt_mutex", NULL },
	{ "__rt_mutex_slowlock_locked", "rt_mutex", NULL },
	{ "__rt_mutex_slowlock", "rt_mutex", NULL },
	{ "rt_mutex_slowlock", "rt_mutex", NULL },
	{ "rt_mutex_lock", "rt_mutex", NULL },
	{ "__rt_mutex_lock", "rt_mutex", NULL },
	{ "rt_mutex_lock_interruptible", "rt_mutex", NULL },
	{ "rtlock_slowlock_locked", "rt_spinlock", NULL },
	{ "rtlock_slowlock", "rt_spinlock", NULL },
	{ "rt_spin_lock", "rt_spinlock", NULL },
	{ "percpu_rwsem_wait", "percpu_rwsem", NULL },
	{ "__percpu_down_read", "percpu_rwsem", "read" },
	{ "percpu_down_read", "percpu_rwsem", "read" },
	{ "__percpu_rwsem_trylock", "percpu_rwsem", NULL },
	{ "percpu_down_write", "percpu_rwsem", "write" },
	{ "rwsem_down_read_slowpath", "rwsem", "read" },
	{ "__rwsem_down_read_slowpath", "rwsem", "read" },
	{ "rwsem_down_write_slowpath", "rwsem", "write" },
	{ "rwsem_down_write_slowpath", "rwsem", "write" },
	{ "rwsem_down_read_failed", "rwsem", "read" },
	{ "rwsem_down_write_failed", "rwsem", "write" },
	{ "call_rwsem_down_read_failed", "rwsem", "read" },
	{ "call_rwsem_down_write_failed", "rwsem", "write" },
	{ "__down_read", "rwsem", "read" },
	{ "__down_write", "rwsem", "write" },
	{ "__down_read_common", "rwsem", "read" },
	{ "__down_write_common", "rwsem", "write" },
	{ "down_read", "rwsem", "read" },
	{ "down_write", "rwsem", "write" },
	{ "down_read_killable", "rwsem", "read" },
	{ "down_write_killable", "rwsem", "write" },
	{ "__wait_for_common", "completion", NULL },
	{ "wait_for_common", "completion", NULL },
	{ "wait_for_completion", "completion", NULL },
	{ "wait_for_completion_timeout", "completion", NULL },
	{ "wait_for_completion_io", "completion", NULL },
	{ "wait_for_completion_killable", "completion", NULL },
	{ "io_schedule", "io", NULL },
	{ "io_schedule_timeout", "io", NULL },
	{ "bit_wait_io", "io", NULL },
	{ "__wait_on_bit", "io", NULL },
	{ "out_of_line_wait_on_bit", "io", NULL },
	{ "wait_on_page_bit", "page", NULL },
	{ "wait_on_page_bit_common", "page", NULL },
	{ "wait_on_page_writeback", "page", NULL },
	{ "folio_wait_bit_common", "page", NULL },
	{ "folio_wait_writeback", "page", NULL },
	{ "__folio_lock", "page", NULL },
	{ "__lock_page", "page", NULL },
	{ "msleep", "sleep", NULL },
	{ "schedule_timeout_uninterruptible", "sleep", NULL },
	{ "__down", "semaphore", NULL },
	{ "__down_common", "semaphore", NULL },
	{ "down", "semaphore", NULL },
	{ "synchronize_rcu", "rcu", NULL },
	{ "__synchronize_srcu", "rcu", NULL },
	{ "synchronize_srcu", "rcu", NULL },
	{ "flush_work", "work", NULL },
	{ "__flush_work", "work", NULL },
	{ "flush_workqueue", "work", NULL },
	{ "__flush_workqueue", "work", NULL },
};

static const struct primitive *primitive_of(const char *function)
{
	for (size_t i = 0; i < sizeof(primitives) / sizeof(primitives[0]); i++)
		if (kt_function_is(function, primitives[i].function))
			return &primitives[i];
	return NULL;
}

/* Locks named by their well-known takers: (primitive, taker prefix) -> lock. */
struct taker {
	const char *primitive;
	const char *function;  /* exact base name, or prefix when ending in '*' */
	const char *lock;
};

static const struct taker takers[] = {
	{ "percpu_rwsem", "cgroup_can_fork", "cgroup_threadgroup_rwsem" },
	{ "percpu_rwsem", "cgroup_threadgroup_change_begin", "cgroup_threadgroup_rwsem" },
	/* before 5.7 copy_process took it through the inlined change_begin */
	{ "percpu_rwsem", "copy_process", "cgroup_threadgroup_rwsem" },
	{ "percpu_rwsem", "cgroup_attach_lock", "cgroup_threadgroup_rwsem" },
	{ "percpu_rwsem", "cgroup_procs_write_start", "cgroup_threadgroup_rwsem" },
	{ "percpu_rwsem", "__cgroup_procs_write", "cgroup_threadgroup_rwsem" },
	{ "percpu_rwsem", "cgroup_update_dfl_csses", "cgroup_threadgroup_rwsem" },
	{ "percpu_rwsem", "exit_signals", "cgroup_threadgroup_rwsem" },
	{ "percpu_rwsem", "de_thread", "cgroup_threadgroup_rwsem" },
	{ "mutex", "cgroup*", "cgroup_mutex" },
	{ "mutex", "css_*", "cgroup_mutex" },
	{ "mutex", "proc_cgroup_show", "cgroup_mutex" },
	{ "mutex", "cgroup1_*", "cgroup_mutex" },
	{ "mutex", "rtnl_lock", "rtnl_mutex" },
	{ "mutex", "rtnl_lock_killable", "rtnl_mutex" },
	{ "percpu_rwsem", "freeze_super", "sb_writers" },
	{ "percpu_rwsem", "sb_wait_write", "sb_writers" },
	{ "percpu_rwsem", "__sb_start_write", "sb_writers" },
	{ "percpu_rwsem", "mnt_want_write", "sb_writers" },
	{ "percpu_rwsem", "mnt_want_write_file", "sb_writers" },
	{ "percpu_rwsem", "file_start_write", "sb_writers" },
	{ "percpu_rwsem", "sb_start_write", "sb_writers" },
	{ "percpu_rwsem", "sb_start_pagefault", "sb_writers" },
	{ "percpu_rwsem", "sb_start_intwrite", "sb_writers" },
	{ "percpu_rwsem", "vfs_*", "sb_writers" },
	{ "percpu_rwsem", "ksys_*", "sb_writers" },
	{ "percpu_rwsem", "do_sys_ftruncate", "sb_writers" },
	{ "percpu_rwsem", "filename_create", "sb_writers" },
	{ "percpu_rwsem", "do_unlinkat", "sb_writers" },
	{ "percpu_rwsem", "do_renameat2", "sb_writers" },
	{ "percpu_rwsem", "path_openat", "sb_writers" },
	{ "percpu_rwsem", "do_truncate", "sb_writers" },
	{ "rwsem", "iterate_supers", "s_umount" },
	{ "rwsem", "lock_mm_and_find_vma", "mmap_lock" },
	{ "rwsem", "do_user_addr_fault", "mmap_lock" },
	{ "rwsem", "__do_page_fault", "mmap_lock" },
	{ "rwsem", "vm_mmap_pgoff", "mmap_lock" },
	{ "rwsem", "__vm_munmap", "mmap_lock" },
	{ "rwsem", "do_mprotect_pkey", "mmap_lock" },
};

static bool taker_matches(const char *pattern, const char *function)
{
	size_t len = strlen(pattern);
	if (len && pattern[len - 1] == '*')
		return strncmp(function, pattern, len - 1) == 0;
	return kt_function_is(function, pattern);
}

static const char *lock_taken_by(const char *primitive, const char *function)
{
	for (size_t i = 0; i < sizeof(takers) / sizeof(takers[0]); i++)
		if (strcmp(takers[i].primitive, primitive) == 0 &&
		    taker_matches(takers[i].function, function))
			return takers[i].lock;
	return NULL;
}

static bool is_cgroup_function(const char *function)
{
	return kt_function_has_prefix(function, "cgroup") ||
	       kt_function_has_prefix(function, "css_") ||
	       kt_function_is(function, "proc_cgroup_show") ||
	       kt_function_has_prefix(function, "__cgroup");
}

static bool is_scheduler(const char *function)
{
	return kt_function_has_prefix(function, "schedule") ||
	       kt_function_has_prefix(function, "__schedule") ||
	       kt_function_is(function, "context_switch") ||
	       kt_function_has_prefix(function, "io_schedule");
}

void kt_wait_classify(const struct kt_text_trace *trace, struct kt_wait *wait)
{
	*wait = (struct kt_wait){ 0 };
	const struct primitive *prim = NULL;
	for (size_t i = 0; i < trace->count; i++) {
		const struct kt_text_frame *f = &trace->frames[i];
		if (f->unreliable)
			continue;
		if (is_cgroup_function(f->function))
			wait->cgroup = true;
		if (wait->blocker_frame)
			continue;
		const struct primitive *p = primitive_of(f->function);
		if (p) {
			/* The outermost slow-path frame names the mode best;
			 * before 5.8 a percpu_rwsem sleeps in the rwsem it embeds. */
			if (!prim || (!prim->mode && p->mode) ||
			    (strcmp(p->primitive, "percpu_rwsem") == 0 &&
			     strcmp(prim->primitive, "rwsem") == 0))
				prim = p;
			continue;
		}
		if (kt_function_is_plumbing(f->function))
			continue;
		wait->blocker_frame = f;
	}
	if (!prim)
		return;
	wait->primitive = prim->primitive;
	wait->mode = prim->mode;
	/*
	 * The code that called the slow path names the lock, if anything does:
	 * the first frame past the slow path, generic or not (sb_start_write is
	 * inlined into vfs_write).
	 */
	for (size_t i = 0; i < trace->count; i++) {
		const struct kt_text_frame *f = &trace->frames[i];
		if (f->unreliable || primitive_of(f->function) || is_scheduler(f->function))
			continue;
		wait->lock = lock_taken_by(prim->primitive, f->function);
		if (wait->lock)
			wait->lock_via = f->function;
		break;
	}
}
