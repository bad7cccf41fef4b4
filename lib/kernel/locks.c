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
 *   rt_mutex_base owner word (task | HAS_WAITERS), waiters rb-tree of
 *                 rt_mutex_waiter sorted by priority.  On PREEMPT_RT
 *                 mutexes, rwsems and spinlocks are rt_mutexes inside.
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

/* A red-black tree of n nodes is at most 2*log2(n+1) deep. */
#define MAX_TREE_DEPTH 64

static const char *const kind_names[] = {
	[KT_LOCK_MUTEX] = "mutex",
	[KT_LOCK_RWSEM] = "rwsem",
	[KT_LOCK_PERCPU_RWSEM] = "percpu_rwsem",
	[KT_LOCK_RT_MUTEX] = "rt_mutex",
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
	return kind <= KT_LOCK_RT_MUTEX;
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

/* ---- Names and tasks -------------------------------------------------- */

int32_t kt_lock_task_pid(struct kt_kernel *k, uint64_t task)
{
	const struct kt_task *t = task ? kt_task_by_address(k, task) : NULL;
	return t ? t->pid : -1;
}

static bool task_list_known(struct kt_kernel *k)
{
	const struct kt_task *tasks;
	size_t count;
	struct kt_error *err = kt_tasks(k, &tasks, &count);
	kt_error_free(err);
	return !err && count > 0;
}

static uint64_t read_word(struct kt_kernel *k, uint64_t address, bool *ok)
{
	uint64_t value = 0;
	struct kt_error *err = kt_kernel_read_u64(k, address, &value);
	if (err) {
		kt_error_free(err);
		*ok = false;
		return 0;
	}
	return value;
}

bool kt_lock_on_task_stack(struct kt_kernel *k, const struct kt_lock_layout *l,
			   uint64_t task, uint64_t addr)
{
	bool ok = true;
	uint64_t stack = read_word(k, task + l->task_stack, &ok);
	return ok && stack && addr >= stack && addr - stack < l->thread_size;
}

/* Locks with no symbol: on whose stack, or inside whose task_struct. */
static bool name_by_task(struct kt_kernel *k, const struct kt_lock_layout *l,
			 uint64_t address, char *buf, size_t size)
{
	const struct kt_task *tasks;
	size_t count;
	struct kt_error *err = kt_tasks(k, &tasks, &count);
	if (err) {
		kt_error_free(err);
		return false;
	}
	uint64_t task_size = 0;
	err = kt_type_sizeof(k, "struct task_struct", &task_size);
	kt_error_free(err);
	for (size_t i = 0; i < count; i++) {
		const struct kt_task *t = &tasks[i];
		if (t->stack && address >= t->stack &&
		    address - t->stack < l->thread_size) {
			snprintf(buf, size, "on the stack of pid %d", t->pid);
			return true;
		}
		if (address >= t->address && address - t->address < task_size) {
			snprintf(buf, size, "task_struct of pid %d +0x%llx", t->pid,
				 (unsigned long long)(address - t->address));
			return true;
		}
	}
	return false;
}

void kt_lock_name(struct kt_kernel *k, const struct kt_lock_layout *l,
		  uint64_t address, char *buf, size_t size)
{
	struct kt_symbol sym;
	uint64_t offset;
	buf[0] = '\0';
	struct kt_error *err = kt_symbol_at(k, address, &sym, &offset);
	if (err) {
		kt_error_free(err);
		name_by_task(k, l, address, buf, size);
		return;
	}
	char off[32] = "";
	if (offset)
		snprintf(off, sizeof(off), "+0x%llx", (unsigned long long)offset);
	if (sym.module)
		snprintf(buf, size, "%s%s [%s]", sym.name, off, sym.module);
	else
		snprintf(buf, size, "%s%s", sym.name, off);
}

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

static size_t max_waiters(struct kt_kernel *k)
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
	walk.limit = max_waiters(k);
	uint64_t node, prev = walk.head;
	struct kt_error *err;
	while (!(err = kt_list_walk_next(&walk, &node)) && node) {
		bool ok = true;
		uint64_t back = read_word(k, node + 8, &ok);
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
	uint64_t task = read_word(k, waiter + l->mutex.task, &ok);
	if (ok)
		add_waiter(k, lock, task, waiter, false);
}

static void rwsem_waiter(struct kt_kernel *k, const struct kt_lock_layout *l,
			 struct kt_lock *lock, uint64_t waiter)
{
	bool ok = true;
	uint64_t task = read_word(k, waiter + l->rwsem.task, &ok);
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
	uint64_t task = read_word(k, entry + l->percpu.task, &ok);
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
				       "mutex 0x%llx: struct mutex or mutex_waiter not in the types",
				       (unsigned long long)lock->address);
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
				       "rwsem 0x%llx: struct rw_semaphore or rwsem_waiter not in the types",
				       (unsigned long long)lock->address);
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

/* Readers are counted per CPU; only the sum over possible CPUs means anything. */
static void sum_percpu_readers(struct kt_kernel *k, const struct kt_lock_layout *l,
			       struct kt_lock *lock)
{
	bool ok = true;
	uint64_t counts = read_word(k, lock->address + l->percpu_read_count, &ok);
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
				       "percpu_rw_semaphore 0x%llx: its layout is not in the types",
				       (unsigned long long)lock->address);
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
	walk_wait_list(k, l, lock, &l->percpu, percpu_waiter);
	return NULL;
}

static void rt_waiter(struct kt_kernel *k, const struct kt_lock_layout *l,
		      struct kt_lock *lock, uint64_t base, uint64_t waiter)
{
	bool ok = true;
	uint64_t task = read_word(k, waiter + l->rt_waiter_task, &ok);
	uint64_t of = read_word(k, waiter + l->rt_waiter_lock, &ok);
	if (!ok) {
		kt_lock_note(lock, "waiter 0x%llx unreadable", (unsigned long long)waiter);
		lock->partial = true;
		return;
	}
	if (of != base) {
		kt_lock_note(lock, "waiter 0x%llx belongs to lock 0x%llx",
		     (unsigned long long)waiter, (unsigned long long)of);
		lock->corrupt = true;
	}
	add_waiter(k, lock, task, waiter, false);
	/* Each waiter's task should point back at it: pi_blocked_on. */
	uint64_t blocked_on = l->have_pi ? read_word(k, task + l->task_pi_blocked_on, &ok) : 0;
	if (ok && blocked_on == waiter && lock->nr_waiters)
		lock->waiters[lock->nr_waiters - 1].via_pi_blocked_on = true;
}

/*
 * In-order walk of an rb-tree, bounded in depth and in nodes; returns why
 * it stopped early, or NULL.  visit returns false to stop.
 */
typedef bool (*rb_visit)(void *ctx, uint64_t node);

static const char *rb_inorder(struct kt_kernel *k, const struct kt_lock_layout *l,
			      uint64_t root, size_t limit, rb_visit visit,
			      void *ctx)
{
	uint64_t path[MAX_TREE_DEPTH];
	size_t depth = 0, visited = 0;
	bool ok = true;
	uint64_t node = root;
	while (ok && (node || depth)) {
		if (node) {
			if (depth == MAX_TREE_DEPTH)
				return "too deep";
			if (!kt_kernel_is_kernel_address(k, node))
				return "a node is not a kernel address";
			path[depth++] = node;
			node = read_word(k, node + l->rb_left, &ok);
			continue;
		}
		node = path[--depth];
		if (++visited > limit)
			return "more nodes than there are tasks";
		if (!visit(ctx, node))
			return NULL;
		node = read_word(k, node + l->rb_right, &ok);
	}
	return ok ? NULL : "unreadable";
}

struct rt_walk {
	struct kt_kernel *k;
	const struct kt_lock_layout *l;
	struct kt_lock *lock;
	uint64_t base;
};

static bool visit_rt_waiter(void *ctx, uint64_t node)
{
	struct rt_walk *w = ctx;
	rt_waiter(w->k, w->l, w->lock, w->base, node - w->l->rt_waiter_tree);
	return true;
}

/* The waiters in tree order: the top waiter (leftmost) first. */
static void walk_rt_tree(struct kt_kernel *k, const struct kt_lock_layout *l,
			 struct kt_lock *lock, uint64_t base)
{
	bool ok = true;
	uint64_t root = read_word(k, base + l->rt_waiters_root, &ok);
	struct rt_walk w = { k, l, lock, base };
	const char *broken = ok ? rb_inorder(k, l, root, max_waiters(k),
					     visit_rt_waiter, &w)
				: "unreadable";
	if (broken) {
		kt_lock_note(lock, "waiter tree: %s", broken);
		lock->partial = true;
		lock->corrupt = strcmp(broken, "unreadable") != 0;
	}
}

/*
 * A blocked rt_mutex waiter that is the lock's top waiter is queued on its
 * owner's pi_waiters too.  When the owner word is lost, the task whose
 * pi_waiters holds one of the lock's waiters is the owner it had.
 */
struct pi_search {
	struct kt_kernel *k;
	const struct kt_lock_layout *l;
	uint64_t base;
	bool found;
};

static bool visit_pi_waiter(void *ctx, uint64_t node)
{
	struct pi_search *s = ctx;
	bool ok = true;
	uint64_t of = read_word(s->k, node - s->l->rt_waiter_pi_tree +
					      s->l->rt_waiter_lock, &ok);
	s->found = ok && of == s->base;
	return !s->found;
}

static void recover_rt_owner(struct kt_kernel *k, const struct kt_lock_layout *l,
			     struct kt_lock *lock, uint64_t base)
{
	const struct kt_task *tasks;
	size_t count;
	if (lock->owner || !lock->nr_waiters || !l->have_pi)
		return;
	struct kt_error *err = kt_tasks(k, &tasks, &count);
	if (err) {
		kt_error_free(err);
		return;
	}
	for (size_t i = 0; i < count; i++) {
		bool ok = true;
		uint64_t root = read_word(k, tasks[i].address + l->task_pi_waiters, &ok);
		struct pi_search s = { k, l, base, false };
		if (!ok || !root || rb_inorder(k, l, root, count + 16,
					       visit_pi_waiter, &s) || !s.found)
			continue;
		lock->owner = tasks[i].address;
		snprintf(lock->owner_source, sizeof(lock->owner_source),
			 "pi_waiters of pid %d", tasks[i].pid);
		return;
	}
}

static struct kt_error *decode_rt_base(struct kt_kernel *k,
				       const struct kt_lock_layout *l,
				       struct kt_lock *lock, uint64_t base)
{
	if (!l->rt_ok)
		return kt_error_create(KT_ERR_UNSUPPORTED,
				       "rt_mutex 0x%llx: struct rt_mutex_base not in the types",
				       (unsigned long long)lock->address);
	struct kt_error *err = kt_kernel_read_u64(k, base + l->rt_owner,
						  &lock->owner_word);
	if (err)
		return kt_error_wrap(err, "rt_mutex 0x%llx", (unsigned long long)base);
	struct kt_owner_word w;
	kt_rt_mutex_owner_decode(lock->owner_word, &w);
	lock->owner = w.task;
	lock->flags = w.flags;
	if (w.task)
		snprintf(lock->owner_source, sizeof(lock->owner_source), "owner word");
	walk_rt_tree(k, l, lock, base);
	if (w.has_waiters != (lock->nr_waiters > 0))
		kt_lock_note(lock, "HAS_WAITERS is %s but the tree has %zu waiters",
		     w.has_waiters ? "set" : "clear", lock->nr_waiters);
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
	if (!kt_plausible_task_pointer(k, lock->owner) || task_list_known(k)) {
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
	    lock->kind == KT_LOCK_PERCPU_RWSEM)
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
			return decode_rt_base(k, l, lock, rt_base(l, lock));
		return decode_mutex(k, l, lock);
	case KT_LOCK_RWSEM:
		if (l->rwsem_is_rt)
			return decode_rt_base(k, l, lock, rt_base(l, lock));
		return decode_rwsem(k, l, lock);
	case KT_LOCK_PERCPU_RWSEM:
		return decode_percpu(k, l, lock);
	case KT_LOCK_RT_MUTEX:
		return decode_rt_base(k, l, lock, rt_base(l, lock));
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
		recover_rt_owner(k, l, lock, base);
		lock->owner_pid = kt_lock_task_pid(k, lock->owner);
	}
	*out = lock;
	return NULL;
}

struct kt_error *kt_lock_decode(struct kt_kernel *k, uint64_t address,
				enum kt_lock_kind kind, struct kt_lock **out)
{
	struct kt_lock_layout l;
	kt_lock_layout_load(k, &l);
	return kt_lock_decode_with(k, &l, address, kind, out);
}

void kt_lock_free(struct kt_lock *lock)
{
	if (!lock)
		return;
	free(lock->waiters);
	free(lock->reader_tasks);
	free(lock->reader_pids);
	free(lock);
}
