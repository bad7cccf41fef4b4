// SPDX-License-Identifier: MIT
/*
 * What a sleeping task waits on, found the way the kernel left it:
 *
 *  1. its frames name the slow path it sleeps in (__mutex_lock,
 *     rwsem_down_write_slowpath, percpu_rwsem_wait, rt_mutex_slowlock,
 *     __wait_for_common, folio_wait_bit_common, io_schedule...);
 *  2. the slow path put a waiter object on the task's own stack, linked
 *     into a list whose head is inside the lock: find the object whose task
 *     field is this task, walk its list to the one node that is not
 *     another waiter on another stack, and that node is the lock's head;
 *  3. on rt_mutexes (everything on PREEMPT_RT) task->pi_blocked_on points
 *     at the waiter, and the waiter at its lock;
 *  4. a percpu_rw_semaphore writer waiting for readers has no waiter
 *     object, only sem->writer.task = itself: the lock is the address on
 *     its stack whose writer field names it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "locks.h"

struct slow_path {
	const char *prefix;
	enum kt_lock_kind kind;
	bool writer;
};

/* Innermost first wins, so io_schedule under a folio wait stays a page wait. */
static const struct slow_path slow_paths[] = {
	{ "__mutex_lock", KT_LOCK_MUTEX, false },
	{ "__ww_mutex_lock", KT_LOCK_MUTEX, false },
	{ "mutex_lock", KT_LOCK_MUTEX, false },
	{ "rwsem_down_write_slowpath", KT_LOCK_RWSEM, true },
	{ "rwsem_down_read_slowpath", KT_LOCK_RWSEM, false },
	{ "__down_write", KT_LOCK_RWSEM, true },
	{ "__down_read", KT_LOCK_RWSEM, false },
	{ "__down_common", KT_LOCK_SEMAPHORE, false },
	{ "__down_interruptible", KT_LOCK_SEMAPHORE, false },
	{ "__down_killable", KT_LOCK_SEMAPHORE, false },
	{ "__down_timeout", KT_LOCK_SEMAPHORE, false },
	{ "__down", KT_LOCK_SEMAPHORE, false },
	{ "percpu_rwsem_wait", KT_LOCK_PERCPU_RWSEM, false },
	{ "__percpu_down_read", KT_LOCK_PERCPU_RWSEM, false },
	{ "percpu_down_write", KT_LOCK_PERCPU_RWSEM, true },
	{ "rt_mutex_slowlock", KT_LOCK_RT_MUTEX, false },
	{ "__rt_mutex_slowlock", KT_LOCK_RT_MUTEX, false },
	{ "rtlock_slowlock", KT_LOCK_RT_MUTEX, false },
	{ "rt_mutex_wait_proxy_lock", KT_LOCK_RT_MUTEX, false },
	{ "rt_spin_lock", KT_LOCK_RT_MUTEX, false },
	{ "rwbase_write_lock", KT_LOCK_RT_MUTEX, true },
	{ "rwbase_read_lock", KT_LOCK_RT_MUTEX, false },
	{ "__rwbase_read_lock", KT_LOCK_RT_MUTEX, false },
	{ "rt_mutex_lock", KT_LOCK_RT_MUTEX, false },
	{ "wait_for_completion", KT_WAIT_COMPLETION, false },
	{ "__wait_for_common", KT_WAIT_COMPLETION, false },
	{ "wait_for_common", KT_WAIT_COMPLETION, false },
	{ "folio_wait_bit", KT_WAIT_PAGE, false },
	{ "__folio_lock", KT_WAIT_PAGE, false },
	{ "folio_wait_writeback", KT_WAIT_PAGE, false },
	{ "folio_put_wait_locked", KT_WAIT_PAGE, false },
	{ "__lock_page", KT_WAIT_PAGE, false },
	{ "wait_on_page_bit", KT_WAIT_PAGE, false },
	{ "migration_entry_wait_on_locked", KT_WAIT_PAGE, false },
	/* Spinning, only on a CPU (classify_frames leaves them out otherwise). */
	{ "native_queued_spin_lock_slowpath", KT_LOCK_SPINLOCK, false },
	{ "queued_spin_lock_slowpath", KT_LOCK_SPINLOCK, false },
	{ "__pv_queued_spin_lock_slowpath", KT_LOCK_SPINLOCK, false },
	{ "do_raw_spin_lock", KT_LOCK_SPINLOCK, false },
	{ "_raw_spin_lock", KT_LOCK_SPINLOCK, false },
	{ "queued_read_lock_slowpath", KT_LOCK_RWLOCK, false },
	{ "queued_write_lock_slowpath", KT_LOCK_RWLOCK, true },
	{ "_raw_read_lock", KT_LOCK_RWLOCK, false },
	{ "_raw_write_lock", KT_LOCK_RWLOCK, true },
	{ "io_schedule", KT_WAIT_IO, false },
	{ "bit_wait_io", KT_WAIT_IO, false },
};

/* Frames that only say "asleep" and name nothing. */
static const char *const scheduler[] = {
	"__schedule", "schedule", "preempt_schedule", "__switch_to",
	"context_switch", "__cond_resched",
};

/* The function's name without a compiler suffix: "__mutex_lock.constprop.0". */
static size_t base_length(const char *name)
{
	const char *dot = strchr(name, '.');
	return dot ? (size_t)(dot - name) : strlen(name);
}

static bool has_prefix(const char *name, size_t length, const char *prefix)
{
	size_t n = strlen(prefix);
	return length >= n && strncmp(name, prefix, n) == 0;
}

/* A sleeping task is not spinning: spin frames count only on a CPU. */
static const struct slow_path *classify(const char *name, bool on_cpu)
{
	size_t length = base_length(name);
	for (size_t i = 0; i < sizeof(slow_paths) / sizeof(slow_paths[0]); i++)
		if (has_prefix(name, length, slow_paths[i].prefix))
			return !on_cpu && kt_lock_kind_spins(slow_paths[i].kind)
				       ? NULL : &slow_paths[i];
	return NULL;
}

bool kt_lock_frame_spins(const char *function)
{
	const struct slow_path *p = function ? classify(function, true) : NULL;
	return p && kt_lock_kind_spins(p->kind);
}

static bool is_scheduler(const char *name)
{
	size_t length = base_length(name);
	for (size_t i = 0; i < sizeof(scheduler) / sizeof(scheduler[0]); i++)
		if (has_prefix(name, length, scheduler[i]))
			return true;
	return false;
}

static void set_function(struct kt_task_wait *w, const char *name)
{
	size_t n = base_length(name);
	if (n >= sizeof(w->function))
		n = sizeof(w->function) - 1;
	memcpy(w->function, name, n);
	w->function[n] = '\0';
}

/* The wait's kind from the frames; I/O only when nothing stronger follows. */
static void classify_frames(const struct kt_stack *stack, bool on_cpu,
			    struct kt_task_wait *w)
{
	const struct slow_path *found = NULL;
	const char *other = NULL;
	for (size_t i = 0; i < stack->count; i++) {
		const char *name = stack->frames[i].function;
		if (!name)
			continue;
		const struct slow_path *p = classify(name, on_cpu);
		if (p && (!found || (found->kind == KT_WAIT_IO && p->kind != KT_WAIT_IO))) {
			found = p;
			set_function(w, name);
			if (p->kind != KT_WAIT_IO)
				break;
		}
		if (!p && !found && !other && !is_scheduler(name))
			other = name;
	}
	if (found) {
		w->kind = found->kind;
		/* A writer's entry point lies further out than the shared wait. */
		for (size_t i = 0; i < stack->count; i++) {
			const char *name = stack->frames[i].function;
			const struct slow_path *p = name ? classify(name, on_cpu) : NULL;
			if (p && p->kind == found->kind && p->writer)
				w->writer = true;
		}
	} else if (other) {
		w->kind = KT_WAIT_OTHER;
		set_function(w, other);
	}
}

/* ---- The task's stack ------------------------------------------------- */

/* From where it stopped (thread.sp) to the top; all of it if on a CPU. */
bool kt_lock_live_stack(struct kt_kernel *k, const struct kt_lock_layout *l,
			const struct kt_task *t, struct kt_live_stack *s)
{
	memset(s, 0, sizeof(*s));
	if (!t->stack)
		return false;
	uint64_t top = t->stack + l->thread_size, from = t->stack;
	if (!t->on_cpu && t->saved_sp > t->stack && t->saved_sp < top)
		from = t->saved_sp & ~7ull;
	s->words = calloc((size_t)(top - from) / 8, 8);
	if (!s->words)
		return false;
	s->from = from;
	s->count = (size_t)(top - from) / 8;
	/* Page by page: a page missing from the dump leaves zeros. */
	for (uint64_t a = from; a < top;) {
		uint64_t end = (a | (k->page_size - 1)) + 1;
		if (end > top)
			end = top;
		struct kt_error *err = kt_kernel_read(k, a, &s->words[(a - from) / 8],
						      (size_t)(end - a));
		kt_error_free(err);
		a = end;
	}
	return true;
}

/* ---- Waiter objects on the stack -------------------------------------- */

static size_t list_limit(struct kt_kernel *k)
{
	const struct kt_task *tasks;
	size_t count;
	struct kt_error *err = kt_tasks(k, &tasks, &count);
	kt_error_free(err);
	return !err && count ? count + 16 : 4096;
}

/*
 * Follow a waiter's list around: every node but one must be another
 * waiter (its task field names a task whose stack holds the node); that
 * one is the lock's head.  0 when the list does not close or has no single
 * head.
 */
static uint64_t find_head(struct kt_kernel *k, const struct kt_lock_layout *l,
			  const struct kt_list_shape *shape, uint64_t node)
{
	struct kt_list_walk walk;
	kt_list_walk_kernel(&walk, k, node);
	walk.limit = list_limit(k);
	uint64_t head = 0, cur;
	struct kt_error *err;
	while (!(err = kt_list_walk_next(&walk, &cur)) && cur) {
		bool ok = true;
		uint64_t task = kt_lock_read_word(k, cur - shape->list + shape->task, &ok);
		if (ok && kt_plausible_task_pointer(k, task) &&
		    kt_lock_on_task_stack(k, l, task, cur))
			continue;
		if (head) {
			head = 0;
			break;
		}
		head = cur;
	}
	kt_list_walk_destroy(&walk);
	if (err) {
		kt_error_free(err);
		return 0;
	}
	return head;
}

/* The innermost waiter of this shape whose task is t, and its list head. */
static bool find_waiter(struct kt_kernel *k, const struct kt_lock_layout *l,
			const struct kt_list_shape *shape, const struct kt_task *t,
			const struct kt_live_stack *s, uint64_t *waiter,
			uint64_t *head)
{
	if (!shape->ok)
		return false;
	size_t span = (size_t)shape->size / 8;
	for (size_t i = 0; i + span <= s->count; i++) {
		if (s->words[i + shape->task / 8] != t->address)
			continue;
		uint64_t next = s->words[i + shape->list / 8];
		uint64_t prev = s->words[i + shape->list / 8 + 1];
		if (!kt_kernel_is_kernel_address(k, next) ||
		    !kt_kernel_is_kernel_address(k, prev))
			continue;
		uint64_t found = find_head(k, l, shape, s->from + i * 8 + shape->list);
		if (found) {
			*waiter = s->from + i * 8;
			*head = found;
			return true;
		}
	}
	return false;
}

static void set_how(struct kt_task_wait *w, const char *how)
{
	snprintf(w->how, sizeof(w->how), "%s", how);
}

static bool by_list_waiter(struct kt_kernel *k, const struct kt_lock_layout *l,
			   const struct kt_list_shape *shape, const char *how,
			   const struct kt_task *t, const struct kt_live_stack *s,
			   struct kt_task_wait *w)
{
	uint64_t head;
	if (!find_waiter(k, l, shape, t, s, &w->waiter, &head))
		return false;
	w->object = head - shape->head;
	set_how(w, how);
	return true;
}

/* percpu_rwsem_wait() queues readers with a flag writers lack. */
static void percpu_entry_writer(struct kt_kernel *k, const struct kt_lock_layout *l,
				struct kt_task_wait *w)
{
	uint32_t flags;
	struct kt_error *err = kt_kernel_read_u32(k, w->waiter + l->wq_entry_flags,
						  &flags);
	if (err) {
		kt_error_free(err);
		return;
	}
	w->writer = !(flags & ~(KT_WQ_FLAG_EXCLUSIVE | KT_WQ_FLAG_WOKEN));
}

static void rwsem_waiter_writer(struct kt_kernel *k, const struct kt_lock_layout *l,
				struct kt_task_wait *w)
{
	uint32_t type = 0;
	struct kt_error *err = kt_kernel_read_u32(k, w->waiter + l->rwsem_waiter_type,
						  &type);
	if (!err)
		w->writer = (int64_t)type == l->rwsem_waiting_for_write;
	kt_error_free(err);
}

/*
 * Before 5.8 a percpu_rw_semaphore's slow path sleeps in the embedded
 * rw_semaphore's (rwsem_down_read_slowpath under __percpu_down_read): the
 * frames say percpu further out, the rwsem inner; the lock is the
 * percpu_rw_semaphore around it.
 */
static void percpu_slow_path(const struct kt_stack *stack, struct kt_task_wait *w)
{
	if (w->kind != KT_LOCK_RWSEM)
		return;
	for (size_t i = 0; i < stack->count; i++) {
		const char *name = stack->frames[i].function;
		const struct slow_path *p = name ? classify(name, false) : NULL;
		if (p && p->kind == KT_LOCK_PERCPU_RWSEM) {
			w->kind = KT_LOCK_PERCPU_RWSEM;
			w->writer = p->writer;
			return;
		}
	}
}

/* The writer in rcuwait_wait_event(): some word on its stack is the sem. */
static bool by_rcuwait(struct kt_kernel *k, const struct kt_lock_layout *l,
		       const struct kt_task *t, const struct kt_live_stack *s,
		       struct kt_task_wait *w)
{
	uint64_t tried[32];
	size_t nr_tried = 0;
	for (size_t i = 0; i < s->count; i++) {
		uint64_t v = s->words[i];
		if (!kt_kernel_is_kernel_address(k, v) || kt_symbol_is_text(k, v) ||
		    (v & 7) || (v >= s->from && v < s->from + s->count * 8))
			continue;
		bool seen = false;
		for (size_t j = 0; j < nr_tried && !seen; j++)
			seen = tried[j] == v;
		if (seen)
			continue;
		if (nr_tried < sizeof(tried) / sizeof(tried[0]))
			tried[nr_tried++] = v;
		bool ok = true;
		if (kt_lock_read_word(k, v + l->percpu_writer_task, &ok) == t->address && ok) {
			w->object = v;
			w->writer = true;
			set_how(w, "percpu_rw_semaphore.writer names it");
			return true;
		}
	}
	return false;
}

/* rt_mutexes: task->pi_blocked_on -> rt_mutex_waiter -> lock. */
static bool by_pi_blocked_on(struct kt_kernel *k, const struct kt_lock_layout *l,
			     const struct kt_task *t, struct kt_task_wait *w)
{
	if (!l->have_pi)
		return false;
	bool ok = true;
	uint64_t waiter = kt_lock_read_word(k, t->address + l->task_pi_blocked_on, &ok);
	if (!ok || !waiter || !kt_kernel_is_kernel_address(k, waiter))
		return false;
	uint64_t task = kt_lock_read_word(k, waiter + l->rt_waiter_task, &ok);
	uint64_t lock = kt_lock_read_word(k, waiter + l->rt_waiter_lock, &ok);
	if (!ok || task != t->address || !lock)
		return false;
	w->waiter = waiter;
	w->object = lock;
	set_how(w, "pi_blocked_on");
	return true;
}

/* folio_wait_bit_common(): a wait_page_queue {folio, bit_nr, wait}. */
static bool by_page_waiter(struct kt_kernel *k, const struct kt_lock_layout *l,
			   const struct kt_task *t, const struct kt_live_stack *s,
			   struct kt_task_wait *w)
{
	if (!l->page_ok)
		return false;
	for (size_t i = l->wpq_private / 8; i < s->count; i++) {
		if (s->words[i] != t->address)
			continue;
		uint64_t start = s->from + i * 8 - l->wpq_private;
		bool ok = true;
		uint64_t folio = kt_lock_read_word(k, start + l->wpq_folio, &ok);
		uint32_t bit = 0;
		struct kt_error *err = kt_kernel_read_u32(k, start + l->wpq_bit_nr, &bit);
		kt_error_free(err);
		if (!ok || err || !kt_kernel_is_kernel_address(k, folio) || bit >= 64)
			continue;
		w->waiter = start;
		w->object = folio;
		w->bit = bit;
		set_how(w, "wait_page_queue on its stack");
		return true;
	}
	return false;
}

static void find_object(struct kt_kernel *k, const struct kt_lock_layout *l,
			const struct kt_task *t, const struct kt_live_stack *s,
			struct kt_task_wait *w)
{
	switch (w->kind) {
	case KT_LOCK_MUTEX:
		if (l->mutex_is_rt)
			break;
		by_list_waiter(k, l, &l->mutex, "mutex_waiter on its stack", t, s, w);
		return;
	case KT_LOCK_RWSEM:
		if (l->rwsem_is_rt)
			break;
		if (by_list_waiter(k, l, &l->rwsem, "rwsem_waiter on its stack", t, s, w))
			rwsem_waiter_writer(k, l, w);
		return;
	case KT_LOCK_PERCPU_RWSEM:
		if (!l->percpu_ok)
			return;
		if (l->percpu_embeds_rwsem &&
		    by_list_waiter(k, l, &l->percpu, "rwsem_waiter on its stack", t, s, w))
			rwsem_waiter_writer(k, l, w);
		else if (!l->percpu_embeds_rwsem &&
			 by_list_waiter(k, l, &l->percpu, "wait_queue_entry on its stack",
					t, s, w))
			percpu_entry_writer(k, l, w);
		else
			by_rcuwait(k, l, t, s, w);
		return;
	case KT_LOCK_SEMAPHORE:
		if (l->sem_ok)
			by_list_waiter(k, l, &l->sem, "semaphore_waiter on its stack", t, s, w);
		return;
	case KT_LOCK_SPINLOCK:
	case KT_LOCK_RWLOCK:
		return; /* from the registers, in kt_task_wait_with */
	case KT_WAIT_COMPLETION:
		by_list_waiter(k, l, &l->completion, "swait_queue on its stack", t, s, w);
		return;
	case KT_WAIT_PAGE:
		by_page_waiter(k, l, t, s, w);
		return;
	default:
		break;
	}
	/* rt_mutexes, and PREEMPT_RT's mutexes and rwsems built on them. */
	if (by_pi_blocked_on(k, l, t, w)) {
		if (w->kind == KT_LOCK_MUTEX)
			w->object -= l->mutex_rtmutex;
		else if (w->kind == KT_LOCK_RWSEM)
			w->object -= l->rwsem_rtmutex;
		else
			w->kind = KT_LOCK_RT_MUTEX;
	}
}

struct kt_error *kt_task_wait_with(struct kt_kernel *k,
				   const struct kt_lock_layout *l,
				   const struct kt_task *t, struct kt_task_wait *w)
{
	memset(w, 0, sizeof(*w));
	w->task = t->address;
	w->pid = t->pid;
	w->kind = KT_WAIT_NONE;
	w->cpu = -1;
	/* Without frames the kind is unknown, but pi_blocked_on still speaks. */
	struct kt_stack *stack = NULL;
	struct kt_error *err = kt_stack_unwind(k, t, &stack);
	if (err) {
		kt_kernel_warn(k, "locks: pid %d: %s", t->pid, kt_error_string(err));
		kt_error_free(err);
		stack = NULL;
	} else {
		classify_frames(stack, t->on_cpu, w);
		if (l->percpu_embeds_rwsem)
			percpu_slow_path(stack, w);
	}
	if (stack && kt_lock_kind_spins(w->kind))
		kt_lock_spin_target(k, l, t, stack, w);
	kt_stack_free(stack);
	struct kt_live_stack s;
	if (!kt_lock_live_stack(k, l, t, &s))
		return NULL;
	find_object(k, l, t, &s, w);
	/* Whatever the frames say, a set pi_blocked_on is an rt_mutex wait. */
	if (!w->object && w->kind != KT_LOCK_RT_MUTEX && by_pi_blocked_on(k, l, t, w))
		w->kind = KT_LOCK_RT_MUTEX;
	free(s.words);
	if (w->object && w->kind != KT_WAIT_PAGE)
		kt_lock_name(k, l, w->object, w->symbol, sizeof(w->symbol));
	return NULL;
}

struct kt_error *kt_task_wait(struct kt_kernel *k, const struct kt_task *t,
			      struct kt_task_wait *w)
{
	return kt_task_wait_with(k, kt_layouts_lock(k), t, w);
}
