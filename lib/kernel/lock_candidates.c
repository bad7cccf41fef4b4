// SPDX-License-Identifier: MIT
/*
 * Who holds a lock that records no holder.  A semaphore keeps a count, a
 * qspinlock a locked byte: neither says who.  But whoever holds one must
 * release it, so the code it runs keeps the lock's address: in a register
 * (saved on its stack by the functions it calls, or by the interrupt that
 * stopped its CPU) or in a local.  Tasks whose live stack, interrupted
 * registers or CPU registers hold the address, leaving out the lock's
 * waiters and spinners, are the candidates; each says where the address
 * was seen.  How sure: a spinlock is held by running code, so a candidate
 * on a CPU is likely and a sleeping one only possible; a semaphore's holder
 * may sleep, and a single candidate is likely.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "locks.h"

static bool is_held(const struct kt_lock *lock)
{
	switch (lock->kind) {
	case KT_LOCK_SEMAPHORE:
		return lock->count == 0;
	case KT_LOCK_SPINLOCK:
		return lock->count & KT_QSPIN_LOCKED_MASK;
	case KT_LOCK_RWLOCK:
		return (lock->count & KT_QRW_WLOCKED) || (lock->count >> KT_QRW_READER_SHIFT);
	default:
		return false;
	}
}

static bool is_waiter(const struct kt_lock *lock, uint64_t task)
{
	for (size_t i = 0; i < lock->nr_waiters; i++)
		if (lock->waiters[i].task == task)
			return true;
	return false;
}

/* The function whose frame holds a stack slot: the innermost frame below it. */
static const char *frame_of(const struct kt_stack *stack, uint64_t slot)
{
	const char *function = NULL;
	for (size_t i = 0; stack && i < stack->count; i++)
		if (stack->frames[i].sp && stack->frames[i].sp <= slot)
			function = stack->frames[i].function;
	return function;
}

static const char *register_holding(const struct kt_kernel *k, const struct kt_regs *r,
				    uint64_t value)
{
	for (size_t i = 0; kt_kernel_is_arm64(k) && i < 29; i++)
		if (r->x[i] == value)
			return kt_arm64_register_names[i];
	if (kt_kernel_is_arm64(k))
		return NULL;
	const struct { const char *name; uint64_t v; } regs[] = {
		{ "rbx", r->bx }, { "rbp", r->bp }, { "r12", r->r12 }, { "r13", r->r13 },
		{ "r14", r->r14 }, { "r15", r->r15 }, { "rdi", r->di }, { "rsi", r->si },
		{ "rdx", r->dx }, { "rcx", r->cx }, { "rax", r->ax }, { "r8", r->r8 },
		{ "r9", r->r9 }, { "r10", r->r10 }, { "r11", r->r11 },
	};
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		if (regs[i].v == value)
			return regs[i].name;
	return NULL;
}

/* Registers first (the code running now), then the stack's words. */
static bool find_reference(struct kt_kernel *k, const struct kt_lock_layout *l,
			   const struct kt_task *t, const struct kt_stack *stack,
			   uint64_t address, char *where, size_t size)
{
	for (size_t i = 0; t->on_cpu && stack && i < stack->count; i++) {
		const struct kt_frame *f = &stack->frames[i];
		const char *reg = f->exception ? register_holding(k, &f->regs, address) : NULL;
		if (reg) {
			snprintf(where, size, "%s of the interrupted %s", reg,
				 f->function ? f->function : "code");
			return true;
		}
	}
	struct kt_regs regs;
	const char *reg = t->on_cpu && t->cpu >= 0 && kt_cpu_registers(k, (unsigned)t->cpu, &regs)
				  ? register_holding(k, &regs, address) : NULL;
	if (reg) {
		snprintf(where, size, "%s of CPU %d", reg, t->cpu);
		return true;
	}
	struct kt_live_stack s;
	if (!kt_lock_live_stack(k, l, t, &s))
		return false;
	/* On a CPU the stack is in use from the innermost frame on it, not below. */
	uint64_t from = s.from;
	for (size_t i = 0; t->on_cpu && stack && i < stack->count; i++)
		if (stack->frames[i].sp >= s.from && stack->frames[i].sp < s.from + s.count * 8) {
			from = stack->frames[i].sp;
			break;
		}
	bool found = false;
	for (size_t i = (size_t)(from - s.from) / 8; i < s.count && !found; i++) {
		if (s.words[i] != address)
			continue;
		const char *function = frame_of(stack, s.from + i * 8);
		snprintf(where, size, "its stack holds the address%s%s%s",
			 function ? " (frame of " : "", function ? function : "", function ? ")" : "");
		found = true;
	}
	free(s.words);
	return found;
}

static void add_candidate(struct kt_lock *lock, const struct kt_task *t, const char *where)
{
	struct kt_lock_candidate *n = realloc(lock->candidates,
					      (lock->nr_candidates + 1) * sizeof(*n));
	if (!n)
		return;
	lock->candidates = n;
	struct kt_lock_candidate *c = &n[lock->nr_candidates++];
	memset(c, 0, sizeof(*c));
	c->task = t->address;
	c->pid = t->pid;
	c->cpu = t->on_cpu ? t->cpu : -1;
	if (c->cpu >= 0)
		snprintf(c->reason, sizeof(c->reason), "running on CPU %d; %s", c->cpu, where);
	else
		snprintf(c->reason, sizeof(c->reason), "asleep (%s); %s",
			 kt_task_state_name(t->state), where);
}

/* How sure: see the comment at the top. */
static void settle(struct kt_lock *lock)
{
	size_t running = 0;
	for (size_t i = 0; i < lock->nr_candidates; i++)
		running += lock->candidates[i].cpu >= 0;
	for (size_t i = 0; i < lock->nr_candidates; i++) {
		struct kt_lock_candidate *c = &lock->candidates[i];
		if (kt_lock_kind_spins(lock->kind))
			c->likely = c->cpu >= 0 && running == 1;
		else
			c->likely = lock->nr_candidates == 1;
	}
	if (!lock->nr_candidates)
		kt_lock_note(lock, "held, and no task outside its waiters keeps its address");
}

static void consider(struct kt_kernel *k, const struct kt_lock_layout *l,
		     const struct kt_task *t, struct kt_lock **locks, size_t nr_locks)
{
	struct kt_stack *stack = NULL;
	struct kt_error *err = kt_stack_unwind(k, t, &stack);
	kt_error_free(err);
	for (size_t i = 0; i < nr_locks; i++) {
		struct kt_lock *lock = locks[i];
		char where[96];
		if (!kt_lock_kind_infers_holder(lock->kind) || !is_held(lock) ||
		    is_waiter(lock, t->address))
			continue;
		if (find_reference(k, l, t, err ? NULL : stack, lock->address, where,
				   sizeof(where)))
			add_candidate(lock, t, where);
	}
	kt_stack_free(err ? NULL : stack);
}

void kt_lock_find_candidates(struct kt_kernel *k, const struct kt_lock_layout *l,
			     struct kt_lock **locks, size_t nr_locks)
{
	size_t wanted = 0;
	for (size_t i = 0; i < nr_locks; i++)
		wanted += kt_lock_kind_infers_holder(locks[i]->kind) && is_held(locks[i]);
	const struct kt_task *tasks;
	size_t count;
	struct kt_error *err = wanted ? kt_tasks(k, &tasks, &count) : NULL;
	if (!wanted || err) {
		kt_error_free(err);
		return;
	}
	for (size_t t = 0; t < count; t++)
		if (!tasks[t].is_idle && tasks[t].state != KT_TASK_ZOMBIE &&
		    tasks[t].state != KT_TASK_DEAD)
			consider(k, l, &tasks[t], locks, nr_locks);
	for (size_t i = 0; i < nr_locks; i++)
		if (kt_lock_kind_infers_holder(locks[i]->kind) && is_held(locks[i]))
			settle(locks[i]);
}
