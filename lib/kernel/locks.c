// SPDX-License-Identifier: MIT
/*
 * Locks decoded from their memory, as kernel/locking/ keeps them:
 *
 *   mutex         owner word (task | WAITERS/HANDOFF/PICKUP), wait_list of
 *                 mutex_waiter {list, task} living on the waiters' stacks;
 *   rw_semaphore  count (WRITER_LOCKED, readers << READER_SHIFT), owner
 *                 word (task | READER_OWNED/NONSPINNABLE), wait_list of
 *                 rwsem_waiter {list, task, type};
 *   percpu_rw_semaphore  read_count per CPU, block, writer (an rcuwait:
 *                 the writer waiting for readers to drain), waiters (a
 *                 wait queue of readers and writers blocked by block);
 *   rt_mutex_base (lock_rt.c) owner word (task | HAS_WAITERS), waiters
 *                 rb-tree of rt_mutex_waiter sorted by priority.  On
 *                 PREEMPT_RT mutexes, rwsems and spinlocks are rt_mutexes
 *                 inside.
 *
 * Memory is hostile: every walk is bounded, lists must close on their head,
 * trees may not be deeper than a balanced tree can be.  What cannot be read
 * makes the lock partial, never a failure of the whole.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "locks.h"

/* ---- Problems --------------------------------------------------------- */

void kt_lock_note(struct kt_lock *lock, const char *fmt, ...)
{
	size_t used = strlen(lock->problem);
	if (used + 3 >= sizeof(lock->problem))
		return;
	if (used)
		used += (size_t)snprintf(lock->problem + used,
					 sizeof(lock->problem) - used, "; ");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(lock->problem + used, sizeof(lock->problem) - used, fmt, ap);
	va_end(ap);
}

/* ---- Waiters ---------------------------------------------------------- */

struct kt_lock_waiter *kt_lock_add_waiter(struct kt_kernel *k,
					  struct kt_lock *lock, uint64_t task,
					  uint64_t object, bool writer)
{
	struct kt_lock_waiter *n = realloc(lock->waiters,
					   (lock->nr_waiters + 1) * sizeof(*n));
	if (!n)
		return NULL;
	lock->waiters = n;
	n[lock->nr_waiters] = (struct kt_lock_waiter){
		.task = task,
		.pid = kt_lock_task_pid(k, task),
		.object = object,
		.writer = writer,
	};
	return &n[lock->nr_waiters++];
}

/* A waiter found in the lock's own list or tree. */
static void add_waiter(struct kt_kernel *k, struct kt_lock *lock,
		       uint64_t task, uint64_t object, bool writer)
{
	struct kt_lock_waiter *w = kt_lock_add_waiter(k, lock, task, object, writer);
	if (w)
		w->in_list = true;
	else
		lock->partial = true;
}

size_t kt_lock_max_waiters(struct kt_kernel *k)
{
	const struct kt_task *tasks;
	size_t count;
	struct kt_error *err = kt_tasks(k, &tasks, &count);
	kt_error_free(err);
	/* Every waiter is a task; a few more than there are tasks is a loop. */
	return !err && count ? count + 16 : KT_MAX_LIST_ENTRIES;
}

typedef void (*waiter_fn)(struct kt_kernel *k, const struct kt_lock_layout *l,
			  struct kt_lock *lock, uint64_t waiter);

/*
 * Walk a wait list from its head (list.c bounds it and catches loops);
 * each node's prev must point back at the node before it.
 */
static void walk_wait_list(struct kt_kernel *k, const struct kt_lock_layout *l,
			   struct kt_lock *lock, const struct kt_list_shape *s,
			   waiter_fn each)
{
	struct kt_list_walk walk;
	kt_list_walk_kernel(&walk, k, lock->address + s->head);
	walk.limit = kt_lock_max_waiters(k);
	uint64_t node, prev = walk.head;
	uint64_t prev_offset = kt_layouts_list_head(k).prev;
	struct kt_error *err;
	while (!(err = kt_list_walk_next(&walk, &node)) && node) {
		bool ok = true;
		uint64_t back = kt_lock_read_word(k, node + prev_offset, &ok);
		if (ok && back != prev) {
			kt_lock_note(lock, "wait list node 0x%llx: prev 0x%llx, expected 0x%llx",
				     (unsigned long long)node, (unsigned long long)back,
				     (unsigned long long)prev);
			lock->corrupt = true;
		}
		each(k, l, lock, node - s->list);
		prev = node;
	}
	if (err) {
		kt_lock_note(lock, "wait list: %s", kt_error_string(err));
		lock->partial = true;
		/* A loop or a wild pointer is damage; a page left out is not. */
		lock->corrupt |= err->code == KT_ERR_INVALID || err->code == KT_ERR_FAULT;
		kt_error_free(err);
	}
	kt_list_walk_destroy(&walk);
}

static void mutex_waiter(struct kt_kernel *k, const struct kt_lock_layout *l,
			 struct kt_lock *lock, uint64_t waiter)
{
	bool ok = true;
	uint64_t task = kt_lock_read_word(k, waiter + l->mutex.task, &ok);
	if (ok)
		add_waiter(k, lock, task, waiter, false);
}

static void rwsem_waiter(struct kt_kernel *k, const struct kt_lock_layout *l,
			 struct kt_lock *lock, uint64_t waiter)
{
	bool ok = true;
	uint64_t task = kt_lock_read_word(k, waiter + l->rwsem.task, &ok);
	uint32_t type = 0;
	struct kt_error *err = kt_kernel_read_u32(k, waiter + l->rwsem_waiter_type,
						  &type);
	kt_error_free(err);
	if (ok && !err)
		add_waiter(k, lock, task, waiter,
			   (int64_t)type == l->rwsem_waiting_for_write);
}

/*
 * percpu_rwsem_wait() queues readers and writers alike as exclusive; a
 * reader's entry carries WQ_FLAG_CUSTOM as well (0x08 in 6.1, 0x04 once
 * WQ_FLAG_BOOKMARK went away), so a writer is an entry with no other bit.
 */
static void percpu_waiter(struct kt_kernel *k, const struct kt_lock_layout *l,
			  struct kt_lock *lock, uint64_t entry)
{
	bool ok = true;
	uint64_t task = kt_lock_read_word(k, entry + l->percpu.task, &ok);
	uint32_t flags = 0;
	struct kt_error *err = kt_kernel_read_u32(k, entry + l->wq_entry_flags, &flags);
	kt_error_free(err);
	if (ok && !err)
		add_waiter(k, lock, task, entry,
			   !(flags & ~(KT_WQ_FLAG_EXCLUSIVE | KT_WQ_FLAG_WOKEN)));
}

/* ---- Each kind -------------------------------------------------------- */

static struct kt_error *decode_mutex(struct kt_kernel *k,
				     const struct kt_lock_layout *l,
				     struct kt_lock *lock)
{
	if (!l->mutex.ok)
		return kt_error_create(KT_ERR_UNSUPPORTED,
				       "mutex 0x%llx: %s not in the types",
				       (unsigned long long)lock->address, l->mutex.missing);
	struct kt_error *err = kt_kernel_read_u64(k, lock->address + l->mutex_owner,
						  &lock->owner_word);
	if (err)
		return kt_error_wrap(err, "mutex 0x%llx", (unsigned long long)lock->address);
	struct kt_owner_word w;
	kt_mutex_owner_decode(lock->owner_word, &w);
	lock->owner = w.task;
	lock->flags = w.flags;
	if (w.task)
		snprintf(lock->owner_source, sizeof(lock->owner_source), "owner word");
	walk_wait_list(k, l, lock, &l->mutex, mutex_waiter);
	return NULL;
}

static struct kt_error *decode_rwsem(struct kt_kernel *k,
				     const struct kt_lock_layout *l,
				     struct kt_lock *lock)
{
	if (!l->rwsem.ok)
		return kt_error_create(KT_ERR_UNSUPPORTED,
				       "rwsem 0x%llx: %s not in the types",
				       (unsigned long long)lock->address, l->rwsem.missing);
	struct kt_error *err = kt_kernel_read_u64(k, lock->address + l->rwsem_count,
						  &lock->count);
	if (!err)
		err = kt_kernel_read_u64(k, lock->address + l->rwsem_owner,
					 &lock->owner_word);
	if (err)
		return kt_error_wrap(err, "rwsem 0x%llx", (unsigned long long)lock->address);
	struct kt_owner_word w;
	kt_rwsem_owner_decode(lock->owner_word, lock->count, &w);
	lock->flags = w.flags;
	lock->readers = w.writer_locked ? 0 : (int64_t)w.readers;
	/* A reader-owned word names only the last reader in, as a hint. */
	if (w.writer_locked && !w.reader_owned) {
		lock->owner = w.task;
		snprintf(lock->owner_source, sizeof(lock->owner_source), "owner word");
	}
	if (w.writer_locked && w.readers)
		kt_lock_note(lock, "count 0x%llx: writer-locked with %llu readers",
			     (unsigned long long)lock->count, (unsigned long long)w.readers);
	walk_wait_list(k, l, lock, &l->rwsem, rwsem_waiter);
	return NULL;
}

static void semaphore_waiter(struct kt_kernel *k, const struct kt_lock_layout *l,
			     struct kt_lock *lock, uint64_t waiter)
{
	bool ok = true;
	uint64_t task = kt_lock_read_word(k, waiter + l->sem.task, &ok);
	if (ok)
		add_waiter(k, lock, task, waiter, false);
}

/* A semaphore records how many more may enter, never who is in. */
static struct kt_error *decode_semaphore(struct kt_kernel *k,
					 const struct kt_lock_layout *l,
					 struct kt_lock *lock)
{
	if (!l->sem_ok)
		return kt_error_create(KT_ERR_UNSUPPORTED,
				       "semaphore 0x%llx: %s not in the types",
				       (unsigned long long)lock->address, l->sem.missing);
	uint32_t count;
	struct kt_error *err = kt_kernel_read_u32(k, lock->address + l->sem_count, &count);
	if (err)
		return kt_error_wrap(err, "semaphore 0x%llx", (unsigned long long)lock->address);
	lock->count = count;
	lock->owner_word = count;
	walk_wait_list(k, l, lock, &l->sem, semaphore_waiter);
	if (count && lock->nr_waiters)
		kt_lock_note(lock, "count %u while %zu task%s wait: a lost wake-up", count,
			     lock->nr_waiters, lock->nr_waiters == 1 ? "" : "s");
	return NULL;
}

/* Readers are counted per CPU; only the sum over possible CPUs means anything. */
static void sum_percpu_readers(struct kt_kernel *k, const struct kt_lock_layout *l,
			       struct kt_lock *lock)
{
	bool ok = true;
	uint64_t counts = kt_lock_read_word(k, lock->address + l->percpu_read_count, &ok);
	int64_t sum = 0;
	unsigned cpus = kt_kernel_nr_cpus(k);
	for (unsigned cpu = 0; ok && cpu < cpus; cpu++) {
		uint64_t address;
		uint32_t value = 0;
		struct kt_error *err = kt_kernel_per_cpu(k, counts, cpu, &address);
		if (!err)
			err = kt_kernel_read_u32(k, address, &value);
		if (err) {
			kt_lock_note(lock, "read_count of CPU %u: %s", cpu, kt_error_string(err));
			kt_error_free(err);
			lock->partial = true;
			continue;
		}
		sum += (int32_t)value;
	}
	if (!ok || cpus == 0) {
		kt_lock_note(lock, "read_count unreadable");
		lock->partial = true;
		return;
	}
	if (sum < 0) {
		kt_lock_note(lock, "readers sum to %lld", (long long)sum);
		lock->corrupt = true;
	}
	lock->readers = sum;
}

static struct kt_error *decode_percpu(struct kt_kernel *k,
				      const struct kt_lock_layout *l,
				      struct kt_lock *lock)
{
	if (!l->percpu_ok)
		return kt_error_create(KT_ERR_UNSUPPORTED,
				       "percpu_rw_semaphore 0x%llx: %s not in the types",
				       (unsigned long long)lock->address, l->percpu.missing);
	uint32_t block;
	struct kt_error *err = kt_kernel_read_u32(k, lock->address + l->percpu_block,
						  &block);
	if (!err)
		err = kt_kernel_read_u64(k, lock->address + l->percpu_writer_task,
					 &lock->owner_word);
	if (err)
		return kt_error_wrap(err, "percpu_rw_semaphore 0x%llx",
				     (unsigned long long)lock->address);
	lock->count = block;
	sum_percpu_readers(k, l, lock);
	/* The rcuwait writer holds block and waits for the readers to leave. */
	if (lock->owner_word)
		add_waiter(k, lock, lock->owner_word, 0, true);
	walk_wait_list(k, l, lock, &l->percpu,
		       l->percpu_embeds_rwsem ? rwsem_waiter : percpu_waiter);
	return NULL;
}

/* ---- Validation ------------------------------------------------------- */

/*
 * An owner must be a task of the task list; when the list is unknown, at
 * least something that could be a task_struct.
 */
static void check_owner(struct kt_kernel *k, struct kt_lock *lock)
{
	if (!lock->owner)
		return;
	lock->owner_pid = kt_lock_task_pid(k, lock->owner);
	if (lock->owner_pid >= 0) {
		const struct kt_task *t = kt_task_by_address(k, lock->owner);
		if (t && (t->state == KT_TASK_ZOMBIE || t->state == KT_TASK_DEAD))
			kt_lock_note(lock, "owner pid %d has exited holding it", t->pid);
		return;
	}
	if (!kt_plausible_task_pointer(k, lock->owner) || kt_lock_task_list_known(k)) {
		kt_lock_note(lock, "owner word 0x%llx names 0x%llx, which is not a task",
			     (unsigned long long)lock->owner_word,
			     (unsigned long long)lock->owner);
		lock->corrupt = true;
		lock->owner = 0;
		lock->owner_source[0] = '\0';
	}
}

static bool task_sleeps(struct kt_kernel *k, uint64_t task)
{
	const struct kt_task *t = kt_task_by_address(k, task);
	return t && !t->on_cpu && (t->state == KT_TASK_UNINTERRUPTIBLE ||
				   t->state == KT_TASK_INTERRUPTIBLE ||
				   t->state == KT_TASK_IDLE);
}

/*
 * No owner while waiters sleep: an unlock hands over by waking the first
 * waiter, so a released lock whose waiters are all still asleep lost that
 * wake-up, or its owner word was overwritten.
 */
static void check_orphaned(struct kt_kernel *k, struct kt_lock *lock)
{
	if (lock->owner || lock->corrupt || !lock->nr_waiters ||
	    lock->kind == KT_LOCK_PERCPU_RWSEM || kt_lock_kind_infers_holder(lock->kind))
		return;
	if (lock->kind == KT_LOCK_RWSEM && lock->readers != 0)
		return;
	for (size_t i = 0; i < lock->nr_waiters; i++)
		if (!task_sleeps(k, lock->waiters[i].task))
			return;
	kt_lock_note(lock, "owner word 0x%llx: no owner while %zu waiter%s sleep",
		     (unsigned long long)lock->owner_word, lock->nr_waiters,
		     lock->nr_waiters == 1 ? "" : "s");
	lock->corrupt = true;
}

/* ---- Decoding --------------------------------------------------------- */

/* The rt_mutex_base inside a lock, 0 when it is not one. */
static uint64_t rt_base(const struct kt_lock_layout *l, const struct kt_lock *lock)
{
	if (lock->kind == KT_LOCK_RT_MUTEX)
		return lock->address;
	if (lock->kind == KT_LOCK_MUTEX && l->mutex_is_rt)
		return lock->address + l->mutex_rtmutex;
	if (lock->kind == KT_LOCK_RWSEM && l->rwsem_is_rt)
		return lock->address + l->rwsem_rtmutex;
	return 0;
}

static struct kt_error *decode_kind(struct kt_kernel *k,
				    const struct kt_lock_layout *l,
				    struct kt_lock *lock)
{
	switch (lock->kind) {
	case KT_LOCK_MUTEX:
		if (l->mutex_is_rt)
			return kt_lock_decode_rt(k, l, lock, rt_base(l, lock));
		return decode_mutex(k, l, lock);
	case KT_LOCK_RWSEM:
		if (l->rwsem_is_rt)
			return kt_lock_decode_rt(k, l, lock, rt_base(l, lock));
		return decode_rwsem(k, l, lock);
	case KT_LOCK_PERCPU_RWSEM:
		return decode_percpu(k, l, lock);
	case KT_LOCK_RT_MUTEX:
		return kt_lock_decode_rt(k, l, lock, rt_base(l, lock));
	case KT_LOCK_SEMAPHORE:
		return decode_semaphore(k, l, lock);
	case KT_LOCK_SPINLOCK:
	case KT_LOCK_RWLOCK:
		return kt_lock_decode_spin(k, l, lock);
	default:
		return kt_error_create(KT_ERR_USAGE, "0x%llx: a %s is not a lock",
				       (unsigned long long)lock->address,
				       kt_lock_kind_name(lock->kind));
	}
}

struct kt_error *kt_lock_decode_with(struct kt_kernel *k,
				     const struct kt_lock_layout *l,
				     uint64_t address, enum kt_lock_kind kind,
				     struct kt_lock **out)
{
	struct kt_lock *lock = calloc(1, sizeof(*lock));
	if (!lock)
		return &kt_error_out_of_memory;
	lock->address = address;
	lock->kind = kind;
	lock->owner_pid = -1;
	lock->readers = -1;
	struct kt_error *err = decode_kind(k, l, lock);
	if (err) {
		kt_lock_free(lock);
		return err;
	}
	kt_lock_name(k, l, address, lock->symbol, sizeof(lock->symbol));
	check_owner(k, lock);
	check_orphaned(k, lock);
	uint64_t base = rt_base(l, lock);
	if (base && !lock->owner) {
		kt_lock_recover_rt_owner(k, l, lock, base);
		lock->owner_pid = kt_lock_task_pid(k, lock->owner);
	}
	*out = lock;
	return NULL;
}

struct kt_error *kt_lock_decode(struct kt_kernel *k, uint64_t address,
				enum kt_lock_kind kind, struct kt_lock **out)
{
	return kt_lock_decode_with(k, kt_layouts_lock(k), address, kind, out);
}

void kt_lock_free(struct kt_lock *lock)
{
	if (!lock)
		return;
	free(lock->waiters);
	free(lock->reader_tasks);
	free(lock->reader_pids);
	free(lock->candidates);
	free(lock->spinner_cpus);
	free(lock);
}
