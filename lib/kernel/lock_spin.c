// SPDX-License-Identifier: MIT
/*
 * Spinning CPUs and the locks they spin on.  A qspinlock is one 32-bit word
 * (include/asm-generic/qspinlock_types.h): the locked byte, the pending bit
 * (the first spinner), and the tail (the last CPU queued in an MCS node,
 * cpu + 1 in bits 18-31).  A qrwlock is a count word (readers << 9, the
 * writer byte 0xff, a waiting bit) and a qspinlock for the queue.
 *
 * The lock a CPU spins on is the argument of the slow path it sits in.
 * The watchdog's interrupt (soft lockup), the NMI (hard lockup) or the
 * stop IPI of the panic saved the spin loop's registers on the stack; the
 * register that points at a word that is locked, the more so if its pending
 * bit or its queue tail names this CPU, is the lock.
 */
#include <stdio.h>
#include <string.h>

#include "locks.h"

int32_t kt_qspinlock_tail_cpu(uint32_t val)
{
	uint32_t tail = val >> KT_QSPIN_TAIL_CPU_SHIFT;
	return tail ? (int32_t)(tail - 1) : -1;
}

struct named_reg {
	const char *name;
	uint64_t value;
};

/* The argument registers first: the slow paths take the lock in rdi (x0). */
static size_t register_list(const struct kt_kernel *k, const struct kt_regs *r,
			    struct named_reg *out)
{
	if (kt_kernel_is_arm64(k)) { /* x29 and x30 are the frame pointer and link */
		for (size_t i = 0; i < 29; i++)
			out[i] = (struct named_reg){ kt_arm64_register_names[i], r->x[i] };
		return 29;
	}
	const struct named_reg all[] = {
		{ "rdi", r->di }, { "rsi", r->si }, { "rdx", r->dx }, { "rcx", r->cx },
		{ "rax", r->ax }, { "rbx", r->bx }, { "rbp", r->bp }, { "r8", r->r8 },
		{ "r9", r->r9 }, { "r10", r->r10 }, { "r11", r->r11 }, { "r12", r->r12 },
		{ "r13", r->r13 }, { "r14", r->r14 }, { "r15", r->r15 },
	};
	memcpy(out, all, sizeof(all));
	return sizeof(all) / sizeof(all[0]);
}

/* How well a register's target fits a lock this CPU spins on; 0: not at all. */
static int score(struct kt_kernel *k, const struct kt_task *t, enum kt_lock_kind kind,
		 uint64_t value)
{
	uint32_t val;
	if ((value & 3) || !kt_kernel_is_kernel_address(k, value) ||
	    kt_symbol_is_text(k, value) ||
	    (t->stack && value >= t->stack && value - t->stack < kt_kernel_thread_size(k)))
		return 0;
	struct kt_error *err = kt_kernel_read_u32(k, value, &val);
	if (err) {
		kt_error_free(err);
		return 0;
	}
	if (kind == KT_LOCK_RWLOCK)
		return (val & KT_QRW_WLOCKED) || (val >> KT_QRW_READER_SHIFT) ? 2 : 0;
	/* A word a qspinlock can hold: locked is 1 (3 under paravirt), pending
	 * a byte of 0 or 1, the tail a CPU that exists. */
	uint32_t locked = val & KT_QSPIN_LOCKED_MASK;
	int32_t tail = kt_qspinlock_tail_cpu(val);
	if ((locked != 1 && locked != 3) || (val & KT_QSPIN_PENDING_BYTE_REST) ||
	    tail >= (int32_t)kt_kernel_nr_cpus(k))
		return 0;
	int s = 1;
	if (val & KT_QSPIN_PENDING)
		s += 2;
	if (tail == t->cpu)
		s += 4;
	return s;
}

/* The registers of the spin loop: its exception frame, or the CPU's note. */
static bool spin_registers(struct kt_kernel *k, const struct kt_task *t,
			   const struct kt_stack *stack, struct kt_regs *regs,
			   const char **function)
{
	for (size_t i = 0; i < stack->count; i++) {
		const struct kt_frame *f = &stack->frames[i];
		if (!kt_lock_frame_spins(f->function))
			continue;
		*function = f->function;
		if (f->exception) {
			*regs = f->regs;
			return true;
		}
		/* The innermost frame came from the CPU's own registers. */
		return i == 0 && t->cpu >= 0 && kt_cpu_registers(k, (unsigned)t->cpu, regs);
	}
	return false;
}

bool kt_lock_spin_target(struct kt_kernel *k, const struct kt_lock_layout *l,
			 const struct kt_task *t, const struct kt_stack *stack,
			 struct kt_task_wait *w)
{
	struct kt_regs regs;
	const char *function = NULL;
	w->cpu = t->on_cpu ? t->cpu : -1;
	if ((w->kind == KT_LOCK_SPINLOCK && !l->spin_ok) ||
	    (w->kind == KT_LOCK_RWLOCK && !l->rwlock_ok) ||
	    !spin_registers(k, t, stack, &regs, &function))
		return false;
	struct named_reg reg[32];
	size_t n = register_list(k, &regs, reg), best = n;
	int best_score = 0;
	for (size_t i = 0; i < n; i++) {
		int s = score(k, t, w->kind, reg[i].value);
		if (s > best_score) {
			best_score = s;
			best = i;
		}
	}
	if (best == n)
		return false;
	w->object = reg[best].value;
	snprintf(w->how, sizeof(w->how), "%s of the interrupted %s%s", reg[best].name,
		 function, best_score >= 4 ? " (queue tail)" : best_score >= 3 ? " (pending)" : "");
	return true;
}

struct kt_error *kt_lock_decode_spin(struct kt_kernel *k, const struct kt_lock_layout *l,
				     struct kt_lock *lock)
{
	bool rw = lock->kind == KT_LOCK_RWLOCK;
	if (rw ? !l->rwlock_ok : !l->spin_ok)
		return kt_error_create(KT_ERR_UNSUPPORTED, "%s 0x%llx: %s not in the types",
				       rw ? "rwlock" : "spinlock",
				       (unsigned long long)lock->address,
				       rw ? "rwlock_t.raw_lock.cnts" : "raw_spinlock.raw_lock.val");
	uint32_t val;
	struct kt_error *err = kt_kernel_read_u32(
		k, lock->address + (rw ? l->rwlock_cnts : l->spin_val), &val);
	if (err)
		return kt_error_wrap(err, "%s 0x%llx", rw ? "rwlock" : "spinlock",
				     (unsigned long long)lock->address);
	lock->owner_word = val;
	lock->count = val;
	if (rw) {
		lock->readers = val >> KT_QRW_READER_SHIFT;
		if (!(val & KT_QRW_WLOCKED) && !lock->readers)
			kt_lock_note(lock, "cnts 0x%x: not held", val);
		return NULL;
	}
	lock->flags = val & KT_QSPIN_PENDING;
	if (!(val & KT_QSPIN_LOCKED_MASK))
		kt_lock_note(lock, "val 0x%x: not locked", val);
	return NULL;
}
