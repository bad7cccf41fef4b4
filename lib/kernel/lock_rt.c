// SPDX-License-Identifier: MIT
/*
 * rt_mutex_base (kernel/locking/rtmutex.c): an owner word whose bit 0 says
 * there are waiters, and the waiters in an rb-tree by priority, the top
 * waiter leftmost.  Each waiter's task points back at it (pi_blocked_on)
 * and the top waiter is queued on the owner's pi_waiters too, which names
 * the owner when the owner word has been lost.  Walks are bounded in
 * depth (a red-black tree of n nodes is at most 2*log2(n+1) deep) and in
 * nodes.
 */
#include <stdio.h>
#include <string.h>

#include "locks.h"

#define MAX_TREE_DEPTH 64

static void rt_waiter(struct kt_kernel *k, const struct kt_lock_layout *l,
		      struct kt_lock *lock, uint64_t base, uint64_t waiter)
{
	bool ok = true;
	uint64_t task = kt_lock_read_word(k, waiter + l->rt_waiter_task, &ok);
	uint64_t of = kt_lock_read_word(k, waiter + l->rt_waiter_lock, &ok);
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
	struct kt_lock_waiter *added = kt_lock_add_waiter(k, lock, task, waiter, false);
	if (!added) {
		lock->partial = true;
		return;
	}
	added->in_list = true;
	/* Each waiter's task should point back at it: pi_blocked_on. */
	if (l->have_pi)
		added->via_pi_blocked_on =
			kt_lock_read_word(k, task + l->task_pi_blocked_on, &ok) == waiter && ok;
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
			node = kt_lock_read_word(k, node + l->rb_left, &ok);
			continue;
		}
		node = path[--depth];
		if (++visited > limit)
			return "more nodes than there are tasks";
		if (!visit(ctx, node))
			return NULL;
		node = kt_lock_read_word(k, node + l->rb_right, &ok);
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
	uint64_t root = kt_lock_read_word(k, base + l->rt_waiters_root, &ok);
	struct rt_walk w = { k, l, lock, base };
	const char *broken = ok ? rb_inorder(k, l, root, kt_lock_max_waiters(k),
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
	uint64_t of = kt_lock_read_word(s->k, node - s->l->rt_waiter_pi_tree +
					      s->l->rt_waiter_lock, &ok);
	s->found = ok && of == s->base;
	return !s->found;
}

void kt_lock_recover_rt_owner(struct kt_kernel *k, const struct kt_lock_layout *l,
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
		uint64_t root = kt_lock_read_word(k, tasks[i].address + l->task_pi_waiters, &ok);
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

struct kt_error *kt_lock_decode_rt(struct kt_kernel *k,
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
