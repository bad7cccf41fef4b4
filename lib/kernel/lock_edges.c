// SPDX-License-Identifier: MIT
/*
 * Whom a waiter waits for, lock kind by lock kind:
 *
 *   mutex, rt_mutex      the owner;
 *   rwsem                the writer that owns it; else, for a writer, the
 *                        readers; for a reader, the writers queued before
 *                        it (rwsem_down_read_slowpath queues readers behind
 *                        waiting writers), or the readers if none;
 *   percpu_rw_semaphore  the writer in sem->writer waits for the readers;
 *                        everyone in the wait queue waits for whoever holds
 *                        block: that writer, or the owner found otherwise;
 *   semaphore, spinlock, rwlock  the candidates judged likely (the kernel
 *                        records no holder: lock_candidates.c).
 */
#include <stdlib.h>

#include "locks.h"

struct edges {
	struct kt_kernel *k;
	struct kt_lock_graph *g;
	struct kt_error *err;
};

static void add(struct edges *e, const struct kt_lock *lock,
		const struct kt_lock_waiter *w, uint64_t holder)
{
	if (!holder || e->err)
		return;
	struct kt_lock_graph *g = e->g;
	for (size_t i = 0; i < g->nr_edges; i++)
		if (g->edges[i].from == w->task && g->edges[i].to == holder &&
		    g->edges[i].lock == lock->address)
			return;
	struct kt_wait_edge *n = realloc(g->edges, (g->nr_edges + 1) * sizeof(*n));
	if (!n) {
		e->err = &kt_error_out_of_memory;
		return;
	}
	g->edges = n;
	n[g->nr_edges++] = (struct kt_wait_edge){
		.from = w->task,
		.to = holder,
		.from_pid = w->pid,
		.to_pid = kt_lock_task_pid(e->k, holder),
		.lock = lock->address,
	};
}

static void to_readers(struct edges *e, const struct kt_lock *lock,
		       const struct kt_lock_waiter *w)
{
	for (size_t i = 0; i < lock->nr_readers; i++)
		add(e, lock, w, lock->reader_tasks[i]);
}

static void to_candidates(struct edges *e, const struct kt_lock *lock,
			  const struct kt_lock_waiter *w)
{
	for (size_t c = 0; c < lock->nr_candidates; c++)
		if (lock->candidates[c].likely)
			add(e, lock, w, lock->candidates[c].task);
}

static void rwsem_edges(struct edges *e, const struct kt_lock *lock,
			size_t index)
{
	const struct kt_lock_waiter *w = &lock->waiters[index];
	if (lock->owner) {
		add(e, lock, w, lock->owner);
		return;
	}
	size_t ahead = 0;
	for (size_t i = 0; !w->writer && i < index; i++)
		if (lock->waiters[i].writer) {
			add(e, lock, w, lock->waiters[i].task);
			ahead++;
		}
	if (!ahead)
		to_readers(e, lock, w);
}

static void percpu_edges(struct edges *e, const struct kt_lock *lock,
			 const struct kt_lock_waiter *w)
{
	if (lock->owner_word && w->task == lock->owner_word) {
		to_readers(e, lock, w);
		return;
	}
	if (lock->owner_word)
		add(e, lock, w, lock->owner_word);
	else if (lock->owner)
		add(e, lock, w, lock->owner);
	else
		to_readers(e, lock, w);
}

struct kt_error *kt_lock_graph_edges(struct kt_kernel *k, struct kt_lock_graph *g)
{
	struct edges e = { k, g, NULL };
	for (size_t i = 0; i < g->nr_locks; i++) {
		const struct kt_lock *lock = g->locks[i];
		for (size_t j = 0; j < lock->nr_waiters; j++) {
			const struct kt_lock_waiter *w = &lock->waiters[j];
			if (lock->kind == KT_LOCK_PERCPU_RWSEM)
				percpu_edges(&e, lock, w);
			else if (lock->kind == KT_LOCK_RWSEM && lock->readers >= 0)
				rwsem_edges(&e, lock, j);
			else if (kt_lock_kind_infers_holder(lock->kind))
				to_candidates(&e, lock, w);
			else
				add(&e, lock, w, lock->owner);
		}
	}
	return e.err;
}
