// SPDX-License-Identifier: MIT
/*
 * Who holds a lock for reading.  The kernel does not record readers: an
 * rw_semaphore counts them (its owner word keeps only the last one in, as
 * a hint), a percpu_rw_semaphore counts them per CPU.  But a reader that
 * still holds the lock must release it later, so the code it is in keeps
 * the lock's address alive, in a callee-saved register that the functions
 * below it spill to its stack or in a local.  A task whose in-use stack
 * holds the lock's address, and which is not one of its waiters, is taken
 * for a holder: for reading when the count says readers hold it, for
 * writing (a percpu_rw_semaphore's block) when none do.
 *
 * One pass over every task's stack serves all the locks asked about.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "locks.h"

static bool wants_readers(const struct kt_lock *lock)
{
	if (lock->kind == KT_LOCK_RWSEM || lock->kind == KT_LOCK_PERCPU_RWSEM)
		return lock->readers > 0;
	return false;
}

/* A percpu_rw_semaphore blocked by a writer that is not waiting: it holds it. */
static bool wants_block_holder(const struct kt_lock *lock)
{
	return lock->kind == KT_LOCK_PERCPU_RWSEM && lock->count &&
	       lock->readers == 0 && !lock->owner_word && !lock->owner;
}

static bool is_waiter(const struct kt_lock *lock, uint64_t task)
{
	for (size_t i = 0; i < lock->nr_waiters; i++)
		if (lock->waiters[i].task == task)
			return true;
	return false;
}

static bool holds_reference(const struct kt_live_stack *s, uint64_t address)
{
	for (size_t i = 0; i < s->count; i++)
		if (s->words[i] == address)
			return true;
	return false;
}

static void add_reader(struct kt_lock *lock, const struct kt_task *t)
{
	uint64_t *tasks = realloc(lock->reader_tasks,
				  (lock->nr_readers + 1) * sizeof(*tasks));
	if (tasks)
		lock->reader_tasks = tasks;
	int32_t *pids = realloc(lock->reader_pids,
				(lock->nr_readers + 1) * sizeof(*pids));
	if (pids)
		lock->reader_pids = pids;
	if (!tasks || !pids)
		return;
	tasks[lock->nr_readers] = t->address;
	pids[lock->nr_readers++] = t->pid;
}

static void consider(struct kt_lock *lock, const struct kt_task *t,
		     const struct kt_live_stack *s, const struct kt_task **holder,
		     size_t *holders)
{
	if (is_waiter(lock, t->address) || !holds_reference(s, lock->address))
		return;
	if (wants_readers(lock)) {
		add_reader(lock, t);
		return;
	}
	if (!*holders)
		*holder = t;
	++*holders;
}

/* The writer that holds block, if exactly one task can be it. */
static void settle_block_holder(struct kt_lock *lock, const struct kt_task *holder,
				size_t holders)
{
	if (holders == 1) {
		lock->owner = holder->address;
		lock->owner_pid = holder->pid;
		snprintf(lock->owner_source, sizeof(lock->owner_source),
			 "its stack holds the lock");
	} else if (holders > 1) {
		kt_lock_note(lock, "block is set and %zu tasks hold its address", holders);
	}
}

void kt_lock_find_holders(struct kt_kernel *k, const struct kt_lock_layout *l,
			  struct kt_lock **locks, size_t nr_locks)
{
	size_t wanted = 0;
	for (size_t i = 0; i < nr_locks; i++)
		wanted += wants_readers(locks[i]) || wants_block_holder(locks[i]);
	if (!wanted)
		return;
	const struct kt_task *tasks;
	size_t count;
	struct kt_error *err = kt_tasks(k, &tasks, &count);
	if (err) {
		kt_error_free(err);
		return;
	}
	const struct kt_task **holder = calloc(nr_locks, sizeof(*holder));
	size_t *holders = calloc(nr_locks, sizeof(*holders));
	for (size_t t = 0; holder && holders && t < count; t++) {
		struct kt_live_stack s;
		if (tasks[t].is_idle || !kt_lock_live_stack(k, l, &tasks[t], &s))
			continue;
		for (size_t i = 0; i < nr_locks; i++)
			if (wants_readers(locks[i]) || wants_block_holder(locks[i]))
				consider(locks[i], &tasks[t], &s, &holder[i], &holders[i]);
		free(s.words);
	}
	for (size_t i = 0; holder && holders && i < nr_locks; i++) {
		if (wants_block_holder(locks[i]))
			settle_block_holder(locks[i], holder[i], holders[i]);
		else if (wants_readers(locks[i]) &&
			 (int64_t)locks[i]->nr_readers != locks[i]->readers)
			kt_lock_note(locks[i], "%lld reader%s counted, %zu found on stacks",
				     (long long)locks[i]->readers,
				     locks[i]->readers == 1 ? "" : "s",
				     locks[i]->nr_readers);
	}
	free(holder);
	free(holders);
}
