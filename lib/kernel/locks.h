/* SPDX-License-Identifier: MIT */
/*
 * What the lock files share (locks.c, lock_layout.c, lock_waits.c,
 * lock_holders.c, waitgraph.c); not a public header.
 *
 * The owner-word encodings below are the kernel's #defines, which BTF does
 * not carry; they have been stable since the owner words took their current
 * shape (mutex 4.10, rwsem 5.3, rt_mutex 2.6.18).  Everything else comes
 * from the types.
 */
#ifndef KTRIAGE_KERNEL_LOCKS_H
#define KTRIAGE_KERNEL_LOCKS_H

#include "layouts.h"

/* The wait-for graph (kernel.h keeps it opaque; lock_queries.c answers for it). */
struct kt_lock_graph {
	struct kt_lock **locks;
	size_t nr_locks;
	struct kt_task_wait *waits;
	size_t nr_waits;
	struct kt_wait_edge *edges;
	size_t nr_edges;
	struct kt_lock_cycle *cycles;
	size_t nr_cycles;
};

/* kernel/locking/mutex.c */
#define KT_MUTEX_FLAG_WAITERS 0x01ull
#define KT_MUTEX_FLAG_HANDOFF 0x02ull
#define KT_MUTEX_FLAG_PICKUP 0x04ull
#define KT_MUTEX_FLAGS 0x07ull
/* kernel/locking/rwsem.c: the owner word and the count */
#define KT_RWSEM_READER_OWNED 0x01ull
#define KT_RWSEM_NONSPINNABLE 0x02ull
#define KT_RWSEM_OWNER_FLAGS 0x03ull
#define KT_RWSEM_WRITER_LOCKED 0x01ull
#define KT_RWSEM_FLAG_WAITERS 0x02ull
#define KT_RWSEM_FLAG_HANDOFF 0x04ull
#define KT_RWSEM_FLAG_READFAIL (1ull << 63)
#define KT_RWSEM_READER_SHIFT 8
/* kernel/locking/rtmutex_common.h */
#define KT_RT_MUTEX_HAS_WAITERS 0x01ull
/* include/asm-generic/qspinlock_types.h, qrwlock.h */
#define KT_QSPIN_LOCKED_MASK 0xffu
#define KT_QSPIN_PENDING 0x100u
#define KT_QSPIN_PENDING_BYTE_REST 0xfe00u /* the pending byte's other bits */
#define KT_QSPIN_TAIL_IDX_SHIFT 16
#define KT_QSPIN_TAIL_CPU_SHIFT 18
#define KT_QRW_WLOCKED 0xffu
#define KT_QRW_WAITING 0x100u
#define KT_QRW_READER_SHIFT 9
/* include/linux/wait.h */
#define KT_WQ_FLAG_EXCLUSIVE 0x01u
#define KT_WQ_FLAG_WOKEN 0x02u

/* ---- Owner words: pure decoding, no memory reads ---------------------- */

struct kt_owner_word {
	uint64_t task;      /* the task_struct the word names, 0 for none */
	uint64_t flags;     /* the flag bits the word carries */
	bool reader_owned;  /* rwsem: owned by readers, task is only a hint */
	uint64_t readers;   /* rwsem: readers counted in the count word */
	bool writer_locked; /* rwsem: the count says a writer holds it */
	bool has_waiters;   /* the word says someone waits */
};

void kt_mutex_owner_decode(uint64_t owner, struct kt_owner_word *out);
void kt_rwsem_owner_decode(uint64_t owner, uint64_t count,
			   struct kt_owner_word *out);
void kt_rt_mutex_owner_decode(uint64_t owner, struct kt_owner_word *out);
/*
 * Could value be a task_struct pointer at all?  A kernel address, not
 * text, aligned as fork.c aligns task_struct (L1_CACHE_BYTES, 64 on
 * x86-64); 0x1 or 0xdead000000000100 are not tasks.
 */
#define KT_TASK_ALIGN 64u
bool kt_plausible_task_pointer(struct kt_kernel *kernel, uint64_t value);

/* ---- Layouts: every offset the lock code uses, from BTF --------------- */

struct kt_list_shape {
	/* A waiter object on a waiting task's stack, linked into a list
	 * whose head sits inside the lock: */
	uint64_t list;        /* offset of the list_head in the waiter */
	uint64_t task;        /* offset of the task pointer in the waiter */
	uint64_t size;        /* of the waiter */
	uint64_t head;        /* offset of the list head in the lock */
	bool ok;
	char missing[96];     /* !ok: the first type member the types lack */
};

struct kt_lock_layout {
	uint64_t thread_size;
	uint64_t task_size;            /* sizeof(struct task_struct), 0 unknown */
	uint64_t task_stack;           /* task_struct.stack */
	uint64_t task_pi_blocked_on;   /* 0 when not an rt_mutex kernel */
	uint64_t task_pi_waiters;      /* rb_root of task.pi_waiters */
	bool have_pi;

	bool mutex_is_rt;              /* PREEMPT_RT: struct mutex holds an rt_mutex_base */
	uint64_t mutex_owner, mutex_rtmutex;
	struct kt_list_shape mutex;    /* mutex_waiter in mutex.wait_list */

	bool rwsem_is_rt;              /* PREEMPT_RT: rwbase_rt */
	uint64_t rwsem_count, rwsem_owner, rwsem_rtmutex, rwsem_rt_readers;
	struct kt_list_shape rwsem;    /* rwsem_waiter in rw_semaphore.wait_list */
	uint64_t rwsem_waiter_type;
	int64_t rwsem_waiting_for_write;

	bool percpu_ok;       /* else percpu.missing says what is lacking */
	uint64_t percpu_read_count, percpu_writer_task, percpu_block;
	struct kt_list_shape percpu;   /* wait_queue_entry in waiters.head */
	uint64_t wq_entry_flags;
	/* Before 5.8: rwsem_waiters in an embedded rw_semaphore at percpu_rw_sem. */
	bool percpu_embeds_rwsem;
	uint64_t percpu_rw_sem;

	bool rt_ok;
	uint64_t rt_owner, rt_waiters_root;   /* in struct rt_mutex_base */
	uint64_t rt_waiter_tree, rt_waiter_pi_tree, rt_waiter_task, rt_waiter_lock;
	uint64_t rb_left, rb_right;

	bool sem_ok;                     /* struct semaphore */
	uint64_t sem_count;
	struct kt_list_shape sem;        /* semaphore_waiter in semaphore.wait_list */
	bool spin_ok;                    /* raw_spinlock_t: raw_lock.val, a qspinlock */
	uint64_t spin_val;
	bool rwlock_ok;                  /* rwlock_t: raw_lock.cnts, a qrwlock */
	uint64_t rwlock_cnts;

	struct kt_list_shape completion; /* swait_queue in completion.wait.task_list */
	bool page_ok;                    /* wait_page_queue */
	uint64_t wpq_folio, wpq_bit_nr, wpq_private;
};

/* Fill a layout; a kind BTF does not describe is left !ok, not an error.
 * The kernel's own is built once, by kt_layouts_lock (layouts.c). */
void kt_lock_layout_load(struct kt_kernel *kernel, struct kt_lock_layout *l);

/* ---- Shared walks ------------------------------------------------------ */

/* Is addr inside the kernel stack of task (read from task->stack)? */
bool kt_lock_on_task_stack(struct kt_kernel *kernel,
			   const struct kt_lock_layout *l, uint64_t task,
			   uint64_t addr);
/* The words of a task's stack that are in use. */
struct kt_live_stack {
	uint64_t from;       /* address of words[0] */
	uint64_t *words;     /* free() */
	size_t count;
};

/* From thread.sp to the top for a sleeping task, all of it on a CPU. */
bool kt_lock_live_stack(struct kt_kernel *kernel, const struct kt_lock_layout *l,
			const struct kt_task *task, struct kt_live_stack *out);
/* Add to the lock's damage (kt_lock_problem joins it). */
void kt_lock_note(struct kt_lock *lock, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Add a waiter found elsewhere than in the lock's own list. */
struct kt_lock_waiter *kt_lock_add_waiter(struct kt_kernel *kernel,
					  struct kt_lock *lock, uint64_t task,
					  uint64_t object, bool writer);
/* A word of memory; *ok turns false (and stays) when it cannot be read. */
uint64_t kt_lock_read_word(struct kt_kernel *kernel, uint64_t address, bool *ok);
/* Is the task list there to check owners against? */
bool kt_lock_task_list_known(struct kt_kernel *kernel);
/* No list of waiters is longer than there are tasks (and a few more). */
size_t kt_lock_max_waiters(struct kt_kernel *kernel);
/* rt_mutex_base at base (lock_rt.c): owner word, waiter tree. */
struct kt_error *kt_lock_decode_rt(struct kt_kernel *kernel,
				   const struct kt_lock_layout *l,
				   struct kt_lock *lock, uint64_t base);
/* The owner an rt_mutex lost, from the task whose pi_waiters holds one of
 * its waiters. */
void kt_lock_recover_rt_owner(struct kt_kernel *kernel,
			      const struct kt_lock_layout *l,
			      struct kt_lock *lock, uint64_t base);
/* The pid of a task_struct from the task list, -1 when it is not one. */
int32_t kt_lock_task_pid(struct kt_kernel *kernel, uint64_t task);
/* "cgroup_mutex", "cfg_lock [cfgstore]", "init_task+0x40", or "". */
void kt_lock_name(struct kt_kernel *kernel, const struct kt_lock_layout *l,
		  uint64_t address, char *buf, size_t size);

/*
 * Decode a lock with a layout already loaded (kt_lock_decode loads one).
 */
struct kt_error *kt_lock_decode_with(struct kt_kernel *kernel,
				     const struct kt_lock_layout *l,
				     uint64_t address, enum kt_lock_kind kind,
				     struct kt_lock **out);
struct kt_error *kt_task_wait_with(struct kt_kernel *kernel,
				   const struct kt_lock_layout *l,
				   const struct kt_task *task,
				   struct kt_task_wait *out);

/*
 * Tasks that hold a lock for reading (or, for a percpu_rw_semaphore with
 * no waiting writer, hold its block): those whose live stack keeps the
 * lock's address, leaving out the lock's own waiters.  One pass over every
 * task's stack serves all the locks.
 */
void kt_lock_find_holders(struct kt_kernel *kernel,
			  const struct kt_lock_layout *l,
			  struct kt_lock **locks, size_t nr_locks);

/*
 * Holders of locks that record none (semaphores, spinlocks, rwlocks): tasks,
 * waiters left out, whose in-use stack or whose CPU's registers keep the
 * lock's address (lock_candidates.c).
 */
void kt_lock_find_candidates(struct kt_kernel *kernel, const struct kt_lock_layout *l,
			     struct kt_lock **locks, size_t nr_locks);
/* A CPU spinning on a lock: the lock's address from the registers of the
 * interrupted spin loop (lock_spin.c).  False when no register names one. */
bool kt_lock_spin_target(struct kt_kernel *kernel, const struct kt_lock_layout *l,
			 const struct kt_task *task, const struct kt_stack *stack,
			 struct kt_task_wait *wait);
/* Is a frame's function one where a CPU spins on a lock (lock_waits.c)? */
bool kt_lock_frame_spins(const char *function);
/* Decode a spinlock or rwlock word (lock_spin.c). */
struct kt_error *kt_lock_decode_spin(struct kt_kernel *kernel, const struct kt_lock_layout *l,
				     struct kt_lock *lock);

/* Does the function containing pc reach the lock (or a pointer to it)
 * through a RIP-relative displacement? (lock_code_refs.c) */
bool kt_lock_code_refers(struct kt_kernel *kernel, uint64_t pc, uint64_t lock);

/* The edges "waiter waits for holder" of every lock in the graph. */
struct kt_error *kt_lock_graph_edges(struct kt_kernel *kernel,
				     struct kt_lock_graph *graph);

/* ---- The wait-for graph: pure, on task edges -------------------------- */

/*
 * The cycles of a task graph: one elementary cycle per strongly connected
 * component that has one (or a self-loop), starting at its lowest pid.
 * The cycle's pids[i] waits on locks[i] held by pids[i + 1].
 */
struct kt_error *kt_wait_cycles(const struct kt_wait_edge *edges, size_t count,
				struct kt_lock_cycle **cycles, size_t *nr_cycles);
void kt_lock_cycles_free(struct kt_lock_cycle *cycles, size_t count);

#endif
