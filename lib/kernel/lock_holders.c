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

/* ---- Readers by the code they are in (lock_code_refs.c) ---------------- */

struct code_memo {
	uint64_t function[256];
	bool refers[256];
	size_t count;
};

static bool function_refers(struct kt_kernel *k, struct code_memo *memo, uint64_t pc,
			    uint64_t lock)
{
	struct kt_symbol sym;
	uint64_t offset;
	struct kt_error *err = kt_symbol_at(k, pc, &sym, &offset);
	if (err) {
		kt_error_free(err);
		return false;
	}
	for (size_t i = 0; i < memo->count; i++)
		if (memo->function[i] == sym.address)
			return memo->refers[i];
	bool refers = kt_lock_code_refers(k, pc, lock);
	if (memo->count < sizeof(memo->function) / sizeof(memo->function[0])) {
		memo->function[memo->count] = sym.address;
		memo->refers[memo->count++] = refers;
	}
	return refers;
}

static bool is_reader(const struct kt_lock *lock, uint64_t task)
{
	for (size_t i = 0; i < lock->nr_readers; i++)
		if (lock->reader_tasks[i] == task)
			return true;
	return false;
}

/* A sleeping task, not waiting on the lock, inside a function that reaches it. */
static bool reads_by_code(struct kt_kernel *k, struct code_memo *memo,
			  const struct kt_lock *lock, const struct kt_task *t)
{
	if (t->is_idle || t->on_cpu || is_waiter(lock, t->address) ||
	    t->address == lock->owner_word || is_reader(lock, t->address))
		return false;
	struct kt_stack *stack = NULL;
	struct kt_error *err = kt_stack_unwind(k, t, &stack);
	if (err) {
		kt_error_free(err);
		return false;
	}
	bool found = false;
	for (size_t i = 0; i < stack->count && !found; i++)
		found = stack->frames[i].reliable &&
			function_refers(k, memo, stack->frames[i].pc, lock->address);
	kt_stack_free(stack);
	return found;
}

/* Readers the count has and the stacks did not show: look at the code. */
static void find_readers_by_code(struct kt_kernel *k, struct kt_lock *lock,
				 const struct kt_task *tasks, size_t count)
{
	/* A count beyond the tasks there are is damage, not readers to look for. */
	if (!wants_readers(lock) || (int64_t)lock->nr_readers >= lock->readers ||
	    lock->readers > (int64_t)count)
		return;
	struct code_memo *memo = calloc(1, sizeof(*memo));
	size_t before = lock->nr_readers;
	for (size_t t = 0; memo && t < count; t++)
		if (tasks[t].state == KT_TASK_UNINTERRUPTIBLE || tasks[t].state == KT_TASK_INTERRUPTIBLE ||
		    tasks[t].state == KT_TASK_IDLE)
			if (reads_by_code(k, memo, lock, &tasks[t]))
				add_reader(lock, &tasks[t]);
	free(memo);
	if (lock->nr_readers > before)
		kt_lock_note(lock, "%zu reader%s found by the code on %s stack, not the stack",
			     lock->nr_readers - before, lock->nr_readers - before == 1 ? "" : "s",
			     lock->nr_readers - before == 1 ? "its" : "their");
	if ((int64_t)lock->nr_readers > lock->readers)
		kt_lock_note(lock, "%zu tasks found for %lld readers: not all of them hold it",
			     lock->nr_readers, (long long)lock->readers);
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
	for (size_t i = 0; i < nr_locks; i++)
		find_readers_by_code(k, locks[i], tasks, count);
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
