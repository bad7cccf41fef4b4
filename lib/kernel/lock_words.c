// SPDX-License-Identifier: MIT
/*
 * The words locks keep, decoded without reading memory: each kind's name,
 * the owner words with their flag bits (kernel/locking/mutex.c, rwsem.c,
 * rtmutex_common.h), and whether a value could be a task_struct at all.
 */
#include <stdio.h>
#include <string.h>

#include "locks.h"

static const char *const kind_names[] = {
	[KT_LOCK_MUTEX] = "mutex",
	[KT_LOCK_RWSEM] = "rwsem",
	[KT_LOCK_PERCPU_RWSEM] = "percpu_rwsem",
	[KT_LOCK_RT_MUTEX] = "rt_mutex",
	[KT_LOCK_SEMAPHORE] = "semaphore",
	[KT_LOCK_SPINLOCK] = "spinlock",
	[KT_LOCK_RWLOCK] = "rwlock",
	[KT_WAIT_COMPLETION] = "completion",
	[KT_WAIT_PAGE] = "page",
	[KT_WAIT_IO] = "io",
	[KT_WAIT_OTHER] = "other",
	[KT_WAIT_NONE] = "none",
};

const char *kt_lock_kind_name(enum kt_lock_kind kind)
{
	if ((unsigned)kind < sizeof(kind_names) / sizeof(kind_names[0]))
		return kind_names[kind];
	return "unknown";
}

bool kt_lock_kind_has_owner(enum kt_lock_kind kind)
{
	return kind < KT_WAIT_COMPLETION;
}

bool kt_lock_kind_infers_holder(enum kt_lock_kind kind)
{
	return kind == KT_LOCK_SEMAPHORE || kind == KT_LOCK_SPINLOCK || kind == KT_LOCK_RWLOCK;
}

bool kt_lock_kind_spins(enum kt_lock_kind kind)
{
	return kind == KT_LOCK_SPINLOCK || kind == KT_LOCK_RWLOCK;
}

/* ---- Owner words ------------------------------------------------------ */

void kt_mutex_owner_decode(uint64_t owner, struct kt_owner_word *out)
{
	memset(out, 0, sizeof(*out));
	out->task = owner & ~KT_MUTEX_FLAGS;
	out->flags = owner & KT_MUTEX_FLAGS;
	out->has_waiters = owner & KT_MUTEX_FLAG_WAITERS;
}

void kt_rwsem_owner_decode(uint64_t owner, uint64_t count,
			   struct kt_owner_word *out)
{
	memset(out, 0, sizeof(*out));
	out->flags = owner & KT_RWSEM_OWNER_FLAGS;
	out->task = owner & ~KT_RWSEM_OWNER_FLAGS;
	out->reader_owned = owner & KT_RWSEM_READER_OWNED;
	out->writer_locked = count & KT_RWSEM_WRITER_LOCKED;
	/* READFAIL is the top bit, above the reader count. */
	out->readers = (count & ~KT_RWSEM_FLAG_READFAIL) >> KT_RWSEM_READER_SHIFT;
	out->has_waiters = count & KT_RWSEM_FLAG_WAITERS;
}

void kt_rt_mutex_owner_decode(uint64_t owner, struct kt_owner_word *out)
{
	memset(out, 0, sizeof(*out));
	out->task = owner & ~KT_RT_MUTEX_HAS_WAITERS;
	out->flags = owner & KT_RT_MUTEX_HAS_WAITERS;
	out->has_waiters = owner & KT_RT_MUTEX_HAS_WAITERS;
}

void kt_lock_flag_names(enum kt_lock_kind kind, uint64_t flags, char *buf,
			size_t size)
{
	static const char *const mutex[] = { "WAITERS", "HANDOFF", "PICKUP" };
	static const char *const rwsem[] = { "READER_OWNED", "NONSPINNABLE" };
	static const char *const rt[] = { "HAS_WAITERS" };
	const char *const *names = NULL;
	size_t n = 0;
	if (kind == KT_LOCK_MUTEX)
		names = mutex, n = 3;
	else if (kind == KT_LOCK_RWSEM)
		names = rwsem, n = 2;
	else if (kind == KT_LOCK_RT_MUTEX)
		names = rt, n = 1;
	if (size)
		buf[0] = '\0';
	size_t used = 0;
	for (size_t i = 0; i < n && used < size; i++)
		if (flags & (1ull << i))
			used += (size_t)snprintf(buf + used, size - used, "%s%s",
						 used ? "|" : "", names[i]);
}

bool kt_plausible_task_pointer(struct kt_kernel *k, uint64_t value)
{
	return value && value % KT_TASK_ALIGN == 0 &&
	       kt_kernel_is_kernel_address(k, value) && !kt_symbol_is_text(k, value);
}
