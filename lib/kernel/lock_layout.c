// SPDX-License-Identifier: MIT
/*
 * The offsets the lock code needs, looked up in the types once per kernel
 * (kt_layouts_lock keeps them).  A kind whose types are missing is marked
 * unusable rather than failing: a PREEMPT_RT kernel has no mutex_waiter,
 * an old one no percpu waiters.
 * Members renamed across versions are tried under each name.
 */
#include <stdio.h>
#include <string.h>

#include "locks.h"

static bool offset_of(struct kt_kernel *k, const char *type,
		      const char *member, uint64_t *out)
{
	struct kt_error *err = kt_type_offsetof(k, type, member, out);
	if (err) {
		kt_error_free(err);
		return false;
	}
	return true;
}

/* The first of several names a member has had. */
static bool offset_of_any(struct kt_kernel *k, const char *type,
			  const char *const *members, uint64_t *out)
{
	for (; *members; members++)
		if (offset_of(k, type, *members, out))
			return true;
	return false;
}

static bool size_of(struct kt_kernel *k, const char *type, uint64_t *out)
{
	struct kt_error *err = kt_type_sizeof(k, type, out);
	if (err) {
		kt_error_free(err);
		return false;
	}
	return true;
}

/* An offset a kind needs; the first one missing is named in *missing. */
static bool need(struct kt_kernel *k, const char *type, const char *member,
		 uint64_t *out, char *missing, size_t size)
{
	if (offset_of(k, type, member, out))
		return true;
	if (!missing[0])
		snprintf(missing, size, "%s.%s", type, member);
	return false;
}

static void load_shape(struct kt_kernel *k, struct kt_list_shape *s,
		       const char *waiter, const char *list, const char *task,
		       const char *lock, const char *head)
{
	s->missing[0] = '\0';
	s->ok = need(k, waiter, list, &s->list, s->missing, sizeof(s->missing)) &&
		need(k, waiter, task, &s->task, s->missing, sizeof(s->missing)) &&
		size_of(k, waiter, &s->size) &&
		need(k, lock, head, &s->head, s->missing, sizeof(s->missing));
	if (!s->ok && !s->missing[0])
		snprintf(s->missing, sizeof(s->missing), "the size of %s", waiter);
}

static void load_mutex(struct kt_kernel *k, struct kt_lock_layout *l)
{
	l->mutex_is_rt = offset_of(k, "struct mutex", "rtmutex", &l->mutex_rtmutex);
	if (l->mutex_is_rt)
		return;
	load_shape(k, &l->mutex, "struct mutex_waiter", "list", "task",
		   "struct mutex", "wait_list");
	if (!need(k, "struct mutex", "owner", &l->mutex_owner, l->mutex.missing,
		  sizeof(l->mutex.missing)))
		l->mutex.ok = false;
}

static void load_rwsem(struct kt_kernel *k, struct kt_lock_layout *l)
{
	l->rwsem_is_rt = offset_of(k, "struct rw_semaphore", "rwbase.rtmutex",
				   &l->rwsem_rtmutex);
	if (l->rwsem_is_rt) {
		offset_of(k, "struct rw_semaphore", "rwbase.readers",
			  &l->rwsem_rt_readers);
		return;
	}
	load_shape(k, &l->rwsem, "struct rwsem_waiter", "list", "task",
		   "struct rw_semaphore", "wait_list");
	char *missing = l->rwsem.missing;
	size_t size = sizeof(l->rwsem.missing);
	if (!need(k, "struct rw_semaphore", "count", &l->rwsem_count, missing, size) ||
	    !need(k, "struct rw_semaphore", "owner", &l->rwsem_owner, missing, size) ||
	    !need(k, "struct rwsem_waiter", "type", &l->rwsem_waiter_type, missing, size)) {
		l->rwsem.ok = false;
		return;
	}
	struct kt_error *err = kt_type_enum_value(k, "enum rwsem_waiter_type",
						  "RWSEM_WAITING_FOR_WRITE",
						  &l->rwsem_waiting_for_write);
	if (err) {
		kt_error_free(err);
		if (!missing[0])
			snprintf(missing, size, "enum rwsem_waiter_type.RWSEM_WAITING_FOR_WRITE");
		l->rwsem.ok = false;
	}
}

/*
 * Before 5.8 a percpu_rw_semaphore has no wait queue of its own: its
 * slow path is an embedded rw_semaphore (rw_sem), whose rwsem_waiters
 * queue the readers and writers, and `block` was `readers_block`.
 */
static bool load_percpu_rw_sem(struct kt_kernel *k, struct kt_lock_layout *l)
{
	if (!l->rwsem.ok ||
	    !offset_of(k, "struct percpu_rw_semaphore", "rw_sem", &l->percpu_rw_sem))
		return false;
	l->percpu = l->rwsem;
	l->percpu.head += l->percpu_rw_sem;
	l->percpu_embeds_rwsem = true;
	return true;
}

static void load_percpu(struct kt_kernel *k, struct kt_lock_layout *l)
{
	static const char *const block[] = { "block", "readers_block", NULL };
	const char *sem = "struct percpu_rw_semaphore";
	load_shape(k, &l->percpu, "struct wait_queue_entry", "entry", "private",
		   sem, "waiters.head");
	char *missing = l->percpu.missing;
	size_t size = sizeof(l->percpu.missing);
	if (!l->percpu.ok)
		load_percpu_rw_sem(k, l);
	l->percpu_ok = l->percpu.ok &&
		       need(k, sem, "read_count", &l->percpu_read_count, missing, size) &&
		       need(k, sem, "writer.task", &l->percpu_writer_task, missing, size) &&
		       offset_of_any(k, sem, block, &l->percpu_block) &&
		       (l->percpu_embeds_rwsem ||
			need(k, "struct wait_queue_entry", "flags", &l->wq_entry_flags,
			     missing, size));
	if (!l->percpu_ok && !missing[0])
		snprintf(missing, size, "%s.block", sem);
}

static void load_rt_mutex(struct kt_kernel *k, struct kt_lock_layout *l)
{
	/* 6.1.y stable and 6.6 wrap the rb nodes in struct rt_waiter_node. */
	static const char *const tree[] = { "tree.entry", "tree_entry", NULL };
	static const char *const pi_tree[] = { "pi_tree.entry", "pi_tree_entry", NULL };
	static const char *const base[] = { "struct rt_mutex_base", "struct rt_mutex", NULL };
	const char *w = "struct rt_mutex_waiter";
	l->rt_ok = false;
	for (const char *const *b = base; *b && !l->rt_ok; b++)
		l->rt_ok = offset_of(k, *b, "owner", &l->rt_owner) &&
			   offset_of(k, *b, "waiters.rb_root.rb_node",
				     &l->rt_waiters_root);
	l->rt_ok = l->rt_ok && offset_of_any(k, w, tree, &l->rt_waiter_tree) &&
		   offset_of_any(k, w, pi_tree, &l->rt_waiter_pi_tree) &&
		   offset_of(k, w, "task", &l->rt_waiter_task) &&
		   offset_of(k, w, "lock", &l->rt_waiter_lock) &&
		   offset_of(k, "struct rb_node", "rb_left", &l->rb_left) &&
		   offset_of(k, "struct rb_node", "rb_right", &l->rb_right);
	l->have_pi = l->rt_ok &&
		     offset_of(k, "struct task_struct", "pi_blocked_on",
			       &l->task_pi_blocked_on) &&
		     offset_of(k, "struct task_struct", "pi_waiters.rb_root.rb_node",
			       &l->task_pi_waiters);
}

/* The kinds that record no holder. */
static void load_unowned(struct kt_kernel *k, struct kt_lock_layout *l)
{
	load_shape(k, &l->sem, "struct semaphore_waiter", "list", "task",
		   "struct semaphore", "wait_list");
	l->sem_ok = l->sem.ok && need(k, "struct semaphore", "count", &l->sem_count,
				      l->sem.missing, sizeof(l->sem.missing));
	l->spin_ok = offset_of(k, "struct raw_spinlock", "raw_lock.val", &l->spin_val);
	l->rwlock_ok = offset_of(k, "rwlock_t", "raw_lock.cnts", &l->rwlock_cnts);
}

static void load_waits(struct kt_kernel *k, struct kt_lock_layout *l)
{
	load_shape(k, &l->completion, "struct swait_queue", "task_list", "task",
		   "struct completion", "wait.task_list");
	l->page_ok = offset_of(k, "struct wait_page_queue", "folio", &l->wpq_folio) &&
		     offset_of(k, "struct wait_page_queue", "bit_nr", &l->wpq_bit_nr) &&
		     offset_of(k, "struct wait_page_queue", "wait.private",
			       &l->wpq_private);
}

void kt_lock_layout_load(struct kt_kernel *k, struct kt_lock_layout *l)
{
	memset(l, 0, sizeof(*l));
	l->thread_size = kt_kernel_thread_size(k);
	if (!size_of(k, "struct task_struct", &l->task_size))
		l->task_size = 0;
	if (!offset_of(k, "struct task_struct", "stack", &l->task_stack))
		kt_kernel_warn(k, "task_struct.stack not in the types: "
				  "waiters on stacks cannot be recognised");
	load_mutex(k, l);
	load_rwsem(k, l);
	load_percpu(k, l);
	load_rt_mutex(k, l);
	load_unowned(k, l);
	load_waits(k, l);
}
