// SPDX-License-Identifier: MIT
/*
 * The wait-for graph, assembled: what every blocked task waits on (its
 * stack), every lock among those (its memory), each lock's waiters
 * cross-checked against the tasks that say they wait on it, the holders
 * the kernel does not record (readers), then the edges "task waits for
 * task" and their cycles.
 *
 * The tasks looked at are the blocked (UN) ones, then, until nothing new
 * turns up, the owners and readers of the locks found, whatever their
 * state: the chain from a waiter to the task at its root.
 */
#include <stdlib.h>
#include <string.h>

#include "locks.h"

struct builder {
	struct kt_kernel *k;
	const struct kt_lock_layout *l;  /* the kernel's (layouts.c) */
	struct kt_lock_graph *g;
	uint64_t *seen;          /* tasks already asked what they wait on */
	size_t nr_seen;
};

static bool seen(const struct builder *b, uint64_t task)
{
	for (size_t i = 0; i < b->nr_seen; i++)
		if (b->seen[i] == task)
			return true;
	return false;
}

/* spinning: a task on a CPU counts only when it spins on a lock. */
static struct kt_error *ask_how(struct builder *b, const struct kt_task *t, bool spinning)
{
	if (seen(b, t->address))
		return NULL;
	uint64_t *s = realloc(b->seen, (b->nr_seen + 1) * sizeof(*s));
	if (!s)
		return &kt_error_out_of_memory;
	b->seen = s;
	s[b->nr_seen++] = t->address;
	struct kt_task_wait w;
	struct kt_error *err = kt_task_wait_with(b->k, b->l, t, &w);
	if (err) {
		kt_kernel_warn(b->k, "locks: %s", kt_error_string(err));
		kt_error_free(err);
		return NULL;
	}
	if (w.kind == KT_WAIT_NONE && t->state != KT_TASK_UNINTERRUPTIBLE)
		return NULL;
	if (spinning && (!kt_lock_kind_spins(w.kind) || !w.object))
		return NULL;
	struct kt_task_wait *n = realloc(b->g->waits,
					 (b->g->nr_waits + 1) * sizeof(*n));
	if (!n)
		return &kt_error_out_of_memory;
	b->g->waits = n;
	n[b->g->nr_waits++] = w;
	return NULL;
}

static struct kt_error *ask(struct builder *b, const struct kt_task *t)
{
	return ask_how(b, t, false);
}

static struct kt_lock *find_lock(const struct kt_lock_graph *g, uint64_t address,
				 enum kt_lock_kind kind)
{
	for (size_t i = 0; i < g->nr_locks; i++)
		if (g->locks[i]->address == address && g->locks[i]->kind == kind)
			return g->locks[i];
	return NULL;
}

/* Decode the locks the waits from index `from` on name, once each. */
static struct kt_error *decode_new_locks(struct builder *b, size_t from)
{
	struct kt_lock_graph *g = b->g;
	for (size_t i = from; i < g->nr_waits; i++) {
		const struct kt_task_wait *w = &g->waits[i];
		if (!kt_lock_kind_has_owner(w->kind) || !w->object ||
		    find_lock(g, w->object, w->kind))
			continue;
		struct kt_lock *lock;
		struct kt_error *err = kt_lock_decode_with(b->k, b->l, w->object,
							   w->kind, &lock);
		if (err) {
			kt_kernel_warn(b->k, "locks: pid %d waits on %s: %s", w->pid,
				       kt_lock_kind_name(w->kind), kt_error_string(err));
			kt_error_free(err);
			continue;
		}
		struct kt_lock **n = realloc(g->locks, (g->nr_locks + 1) * sizeof(*n));
		if (!n) {
			kt_lock_free(lock);
			return &kt_error_out_of_memory;
		}
		g->locks = n;
		n[g->nr_locks++] = lock;
	}
	return NULL;
}

/* The owners and readers of the locks: what do they wait on in turn? */
static struct kt_error *ask_holders(struct builder *b)
{
	for (size_t i = 0; i < b->g->nr_locks; i++) {
		const struct kt_lock *lock = b->g->locks[i];
		uint64_t holders[2] = { lock->owner, lock->owner_word };
		size_t n = 2 + lock->nr_readers;
		for (size_t h = 0; h < n + lock->nr_candidates; h++) {
			uint64_t task = h < 2 ? holders[h] : h < n ? lock->reader_tasks[h - 2]
					: lock->candidates[h - n].likely ? lock->candidates[h - n].task : 0;
			if (h == 1 && lock->kind != KT_LOCK_PERCPU_RWSEM)
				continue;
			const struct kt_task *t = task ? kt_task_by_address(b->k, task) : NULL;
			if (!t || t->on_cpu || t->state == KT_TASK_RUNNING)
				continue;
			struct kt_error *err = ask(b, t);
			if (err)
				return err;
		}
	}
	return NULL;
}

static void add_spinner(struct kt_lock *lock, int32_t cpu)
{
	int32_t *n = realloc(lock->spinner_cpus, (lock->nr_spinners + 1) * sizeof(*n));
	if (!n)
		return;
	lock->spinner_cpus = n;
	n[lock->nr_spinners++] = cpu;
}

/*
 * A wait the task's stack shows but the lock's list lacks: the list is
 * damaged, or the task was being woken.  Either way it is a waiter.
 */
static void cross_check(struct kt_kernel *k, struct kt_lock_graph *g)
{
	for (size_t i = 0; i < g->nr_waits; i++) {
		const struct kt_task_wait *w = &g->waits[i];
		struct kt_lock *lock = kt_lock_kind_has_owner(w->kind) && w->object
					       ? find_lock(g, w->object, w->kind) : NULL;
		if (!lock)
			continue;
		bool listed = false;
		for (size_t j = 0; j < lock->nr_waiters; j++)
			listed |= lock->waiters[j].task == w->task;
		if (listed)
			continue;
		struct kt_lock_waiter *added = kt_lock_add_waiter(k, lock, w->task,
								  w->waiter, w->writer);
		if (added && strcmp(w->how, "pi_blocked_on") == 0)
			added->via_pi_blocked_on = true;
		/* Spinners are in no list: their CPUs are the record. */
		if (kt_lock_kind_spins(lock->kind)) {
			add_spinner(lock, w->cpu);
			continue;
		}
		kt_lock_note(lock, "pid %d waits on it (%s) but is not in its waiters",
			     w->pid, w->how);
	}
}

static struct kt_error *build(struct builder *b)
{
	const struct kt_task *tasks;
	size_t count;
	struct kt_error *err = kt_tasks(b->k, &tasks, &count);
	if (err)
		return kt_error_wrap(err, "locks");
	for (size_t i = 0; i < count && !err; i++)
		if (tasks[i].state == KT_TASK_UNINTERRUPTIBLE && !tasks[i].on_cpu)
			err = ask(b, &tasks[i]);
	/* CPUs spinning on a lock: soft and hard lockups, stalls. */
	for (size_t i = 0; i < count && !err; i++)
		if (tasks[i].on_cpu && !tasks[i].is_idle)
			err = ask_how(b, &tasks[i], true);
	size_t decoded = 0;
	/* Each round asks only tasks not asked before: it ends. */
	while (!err) {
		size_t before = b->g->nr_waits, locks = b->g->nr_locks;
		err = decode_new_locks(b, decoded);
		decoded = before;
		cross_check(b->k, b->g);
		if (!err) {
			kt_lock_find_holders(b->k, b->l, b->g->locks + locks,
					     b->g->nr_locks - locks);
			kt_lock_find_candidates(b->k, b->l, b->g->locks + locks,
						b->g->nr_locks - locks);
		}
		if (!err)
			err = ask_holders(b);
		if (b->g->nr_waits == before)
			break;
	}
	if (err)
		return err;
	err = kt_lock_graph_edges(b->k, b->g);
	if (!err)
		err = kt_wait_cycles(b->g->edges, b->g->nr_edges, &b->g->cycles,
				     &b->g->nr_cycles);
	return err;
}

struct kt_error *kt_lock_graph(struct kt_kernel *k, struct kt_lock_graph **out)
{
	struct builder b = { .k = k };
	b.g = calloc(1, sizeof(*b.g));
	if (!b.g)
		return &kt_error_out_of_memory;
	b.l = kt_layouts_lock(k);
	struct kt_error *err = build(&b);
	free(b.seen);
	if (err) {
		kt_lock_graph_free(b.g);
		return err;
	}
	*out = b.g;
	return NULL;
}

void kt_lock_graph_free(struct kt_lock_graph *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->nr_locks; i++)
		kt_lock_free(g->locks[i]);
	free(g->locks);
	free(g->waits);
	free(g->edges);
	kt_lock_cycles_free(g->cycles, g->nr_cycles);
	free(g);
}
