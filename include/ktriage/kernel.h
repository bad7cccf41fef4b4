/* SPDX-License-Identifier: MIT */
/*
 * The kernel model, rebuilt from the dump alone: VMCOREINFO, virtual
 * memory, symbols (the kernel's own kallsyms), types (the kernel's own BTF),
 * the log, tasks, modules, memory counters.  A vmlinux with DWARF, a BTF
 * file or a System.map are optional and only add detail.
 *
 * Nothing above this layer knows a structure offset: it asks the types.
 */
#ifndef KTRIAGE_KERNEL_H
#define KTRIAGE_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ktriage/dump.h"
#include "ktriage/base.h"
#include "ktriage/inspect.h"

/* ---- VMCOREINFO ------------------------------------------------------ */

/* Parsed VMCOREINFO text; usable on its own (tests, fuzzing). */
struct kt_vmcoreinfo;

struct kt_error *kt_vmcoreinfo_parse(const char *text, size_t len,
				     struct kt_vmcoreinfo **out);
void kt_vmcoreinfo_free(struct kt_vmcoreinfo *vi);
/* The raw value of KEY (e.g. "OSRELEASE", "SYMBOL(prb)"), or NULL. */
const char *kt_vmcoreinfo_get(const struct kt_vmcoreinfo *vi, const char *key);
/* Typed lookups: false when absent or malformed. */
bool kt_vmcoreinfo_symbol(const struct kt_vmcoreinfo *vi, const char *name,
			  uint64_t *addr);                 /* SYMBOL(name), hex */
bool kt_vmcoreinfo_size(const struct kt_vmcoreinfo *vi, const char *name,
			uint64_t *size);                   /* SIZE(name) */
bool kt_vmcoreinfo_offset(const struct kt_vmcoreinfo *vi, const char *name,
			  uint64_t *offset);               /* OFFSET(a.b) */
bool kt_vmcoreinfo_length(const struct kt_vmcoreinfo *vi, const char *name,
			  uint64_t *length);               /* LENGTH(name) */
bool kt_vmcoreinfo_number(const struct kt_vmcoreinfo *vi, const char *name,
			  int64_t *number);   /* NUMBER(name), may be negative */
bool kt_vmcoreinfo_u64(const struct kt_vmcoreinfo *vi, const char *key,
		       int base, uint64_t *value); /* any KEY in a base */
size_t kt_vmcoreinfo_count(const struct kt_vmcoreinfo *vi);
/* The i-th key and value, in the order of the text. */
bool kt_vmcoreinfo_entry(const struct kt_vmcoreinfo *vi, size_t i,
			 const char **key, const char **value);

/* ---- The kernel ------------------------------------------------------ */

struct kt_kernel;

/* A BTF file kept for a build, already open (a sandbox may open nothing). */
struct kt_kept_btf {
	const char *build_id; /* lowercase hex, as VMCOREINFO's BUILD-ID */
	int fd;
};

struct kt_kernel_options {
	const char *vmlinux;    /* debug vmlinux: DWARF types and ELF symbols */
	const char *btf;        /* a BTF file instead of the dump's own */
	/* BUILD-ID.btf files (ktriaged keeps the running kernel's): used when
	 * the dump's own BTF is missing and its build ID names one. */
	const char *btf_dir;
	const struct kt_kept_btf *kept_btf; /* the same, opened by the caller */
	size_t nr_kept_btf;
	const char *system_map; /* System.map symbols */
	/* Where to keep what is decoded per kernel build; NULL for nowhere. */
	const struct kt_kernel_cache *build_cache;
};

/*
 * A store for what is decoded per kernel build (its BTF and kallsyms
 * tables), keyed by VMCOREINFO's BUILD-ID and a kind ("btf", "kallsyms").
 * The kernel model checks what get returns against the dump before using
 * it, and never depends on it: a miss, a damaged or a foreign entry only
 * costs the time of reading the dump.  The services layer has one on disk
 * (include/ktriage/build_cache.h: kt_build_cache_fetch, kt_build_cache_keep).
 */
struct kt_kernel_cache {
	void *context;
	/* count sections, each malloc'ed into data[i] (the caller frees). */
	bool (*get)(void *context, const char *build_id, const char *kind, size_t count,
		    void **data, size_t *sizes);
	void (*put)(void *context, const char *build_id, const char *kind, size_t count,
		    void *const *data, const size_t *sizes);
};

/*
 * Open the kernel in a dump: VMCOREINFO and address translation, without
 * which there is no kernel.  The later bootstrap stages (enum
 * kt_kernel_stage) are built once each, on first use or by kt_kernel_load;
 * higher parts (log, tasks, modules...) are computed on demand.  The dump
 * stays owned by the caller and must outlive the kernel.
 */
struct kt_error *kt_kernel_open(struct kt_dump *dump,
				const struct kt_kernel_options *options,
				struct kt_kernel **out);
void kt_kernel_close(struct kt_kernel *kernel);

/* The bootstrap stages after VMCOREINFO and address translation, in order. */
enum kt_kernel_stage {
	KT_KERNEL_SYMBOLS,  /* kallsyms (or the vmlinux), and the direct map */
	KT_KERNEL_TYPES,    /* BTF, or DWARF from the vmlinux */
	KT_KERNEL_PER_CPU,  /* __per_cpu_offset[] and nr_cpu_ids */
	KT_KERNEL_NR_STAGES,
};
/*
 * Build every stage up to and including upto, in order, each once: NULL
 * when they all stand, else why the first that could not be built failed.
 * A failed stage stays failed; what does not need it still works (a dump
 * with damaged BTF still has its log).
 */
struct kt_error *kt_kernel_load(struct kt_kernel *kernel, enum kt_kernel_stage upto);
struct kt_dump *kt_kernel_dump(const struct kt_kernel *kernel);
const struct kt_vmcoreinfo *kt_kernel_vmcoreinfo(const struct kt_kernel *kernel);
const char *kt_kernel_release(const struct kt_kernel *kernel);
/* The architecture its translation and unwinder are for: "x86_64", "arm64". */
const char *kt_kernel_arch(const struct kt_kernel *kernel);
/* Problems met while building the model that did not stop it: the
 * kernel's damage list (error.h), and its messages by index. */
const struct kt_damage *kt_kernel_damage_list(const struct kt_kernel *kernel);
size_t kt_kernel_warning_count(const struct kt_kernel *kernel);
const char *kt_kernel_warning(const struct kt_kernel *kernel, size_t i);

/* ---- Memory ---------------------------------------------------------- */

/* Kernel virtual address -> physical; errors name the address and level. */
struct kt_error *kt_kernel_translate(struct kt_kernel *kernel, uint64_t vaddr,
				     uint64_t *paddr);
struct kt_error *kt_kernel_read(struct kt_kernel *kernel, uint64_t vaddr,
				void *buf, size_t len);
struct kt_error *kt_kernel_read_u64(struct kt_kernel *kernel, uint64_t vaddr,
				    uint64_t *value);
struct kt_error *kt_kernel_read_u32(struct kt_kernel *kernel, uint64_t vaddr,
				    uint32_t *value);
/* A NUL-terminated string of at most size-1 bytes (always terminated). */
struct kt_error *kt_kernel_read_string(struct kt_kernel *kernel,
				       uint64_t vaddr, char *buf, size_t size);
/* Direct-map address of a physical address. */
uint64_t kt_kernel_phys_to_virt(struct kt_kernel *kernel, uint64_t paddr);
bool kt_kernel_is_kernel_address(const struct kt_kernel *kernel, uint64_t vaddr);

/* Per-CPU data: address of a per-CPU symbol's copy on a CPU. */
unsigned kt_kernel_nr_cpus(struct kt_kernel *kernel); /* possible */
struct kt_error *kt_kernel_per_cpu(struct kt_kernel *kernel, uint64_t addr,
				   unsigned cpu, uint64_t *out);

/* ---- Symbols --------------------------------------------------------- */

struct kt_symbol {
	const char *name;
	uint64_t address;
	uint64_t size;      /* 0 when unknown */
	const char *module; /* NULL for the kernel image */
	char type;          /* kallsyms type letter: t, T, d, D, ... */
};

struct kt_error *kt_symbol_address(struct kt_kernel *kernel, const char *name,
				   uint64_t *address);
/* The symbol containing address, and the offset into it. */
struct kt_error *kt_symbol_at(struct kt_kernel *kernel, uint64_t address,
			      struct kt_symbol *symbol, uint64_t *offset);
/* Is address inside the kernel's or a module's text? */
bool kt_symbol_is_text(struct kt_kernel *kernel, uint64_t address);
size_t kt_symbol_count(struct kt_kernel *kernel);

/* ---- Types ----------------------------------------------------------- */

struct kt_member {
	uint64_t bit_offset; /* from the start of the outer type */
	uint32_t bit_size;   /* 0 unless a bitfield */
	uint64_t size;       /* of the member's type, in bytes */
	uint32_t type_id;    /* opaque handle for kt_type_* calls */
};

/* type is "struct task_struct", "union ...", "enum ...", or a typedef. */
struct kt_error *kt_type_sizeof(struct kt_kernel *kernel, const char *type,
				uint64_t *size);
/* member may be nested: "se.sum_exec_runtime", "thread.sp", "stack[0]" no. */
struct kt_error *kt_type_member(struct kt_kernel *kernel, const char *type,
				const char *member, struct kt_member *out);
struct kt_error *kt_type_offsetof(struct kt_kernel *kernel, const char *type,
				  const char *member, uint64_t *offset);
bool kt_type_has_member(struct kt_kernel *kernel, const char *type,
			const char *member);
/* Value of an enumerator, searched in the named enum or, if enum_name is
 * NULL, in every enum. */
struct kt_error *kt_type_enum_value(struct kt_kernel *kernel,
				    const char *enum_name,
				    const char *enumerator, int64_t *value);

/* ---- The kernel log -------------------------------------------------- */

struct kt_log_record {
	uint64_t seq;
	uint64_t ts_nsec;   /* local_clock() at printk time */
	uint8_t level;      /* 0..7 */
	uint8_t facility;
	uint32_t caller_id; /* "T123" task id or "C1" CPU, as printk stores */
	const char *text;   /* NUL-terminated, without a trailing newline */
	size_t text_len;
	const char *dict;   /* SUBSYSTEM=/DEVICE= dictionary, or NULL */
};

/*
 * Every record still in the buffer, oldest first.  The lockless ringbuffer
 * (5.10+) and the legacy log_buf are both read through VMCOREINFO.  The
 * array lives as long as the kernel.
 */
struct kt_error *kt_log_records(struct kt_kernel *kernel,
				const struct kt_log_record **records,
				size_t *count);

/* ---- Tasks ----------------------------------------------------------- */

enum kt_task_state {
	KT_TASK_RUNNING,         /* RU */
	KT_TASK_INTERRUPTIBLE,   /* IN */
	KT_TASK_UNINTERRUPTIBLE, /* UN */
	KT_TASK_IDLE,            /* ID: TASK_IDLE kernel threads */
	KT_TASK_STOPPED,         /* ST */
	KT_TASK_TRACED,          /* TR */
	KT_TASK_ZOMBIE,          /* ZO */
	KT_TASK_DEAD,            /* DE */
	KT_TASK_PARKED,          /* PA */
	KT_TASK_NEW,             /* NE */
	KT_TASK_WAKING,          /* WA */
	KT_TASK_UNKNOWN,         /* ?? */
};

struct kt_task {
	uint64_t address;        /* struct task_struct */
	int32_t pid, tgid, ppid;
	int32_t cpu;             /* the CPU it last ran on */
	enum kt_task_state state;
	uint64_t raw_state;      /* __state | exit_state as the kernel had it */
	char comm[16];
	bool on_cpu;             /* running on a CPU at the crash */
	bool is_idle;            /* a CPU's swapper */
	bool is_kernel_thread;
	uint64_t last_arrival;   /* sched_info.last_arrival, ns of rq clock */
	uint64_t last_queued;
	uint64_t stack;          /* task->stack, base of the kernel stack */
	uint64_t saved_sp;       /* thread.sp: where a sleeping task stopped */
	uint32_t flags;          /* PF_* */
};

const char *kt_task_state_name(enum kt_task_state state); /* "UN" ... */

/*
 * Every thread, idle tasks included, in pid order.  Walks are bounded and
 * detect cycles; a damaged list gives a partial list and a warning.
 */
struct kt_error *kt_tasks(struct kt_kernel *kernel,
			  const struct kt_task **tasks, size_t *count);
const struct kt_task *kt_task_by_pid(struct kt_kernel *kernel, int32_t pid);
const struct kt_task *kt_task_by_address(struct kt_kernel *kernel,
					 uint64_t address);
/* The task that was running on a CPU, from its runqueue. */
const struct kt_task *kt_task_current(struct kt_kernel *kernel, unsigned cpu);
/*
 * The task that panicked: the one current on panic_cpu, or on the CPU whose
 * saved registers lie in __crash_kexec (an oops can kexec without panic()).
 * NULL when the dump does not tell.
 */
const struct kt_task *kt_task_panic(struct kt_kernel *kernel);
/* The runqueue clock of a CPU (rq->clock), to age last_arrival against. */
struct kt_error *kt_cpu_clock(struct kt_kernel *kernel, unsigned cpu,
			      uint64_t *clock_ns);

/* ---- Modules and taint ----------------------------------------------- */

struct kt_module {
	uint64_t address;     /* struct module */
	char name[64];
	uint64_t base;        /* core layout base */
	uint64_t size;        /* core layout size */
	uint64_t text_size;
	uint64_t taints;      /* TAINT_* bits of the module */
	char taint_letters[32];
};

struct kt_error *kt_modules(struct kt_kernel *kernel,
			    const struct kt_module **modules, size_t *count);
const struct kt_module *kt_module_at(struct kt_kernel *kernel,
				     uint64_t address);
/* tainted_mask and its letters as /proc/sys/kernel/tainted prints them. */
struct kt_error *kt_kernel_taint(struct kt_kernel *kernel, uint64_t *mask,
				 char *letters, size_t size);
void kt_taint_letters(uint64_t mask, char *letters, size_t size);

/* ---- Memory summary (crash's kmem -i), in pages ---------------------- */

struct kt_meminfo {
	uint64_t total_mem, free, used, shared, buffers, cached, slab;
	uint64_t total_huge, huge_free;
	uint64_t total_swap, swap_used, swap_free;
	uint64_t commit_limit, committed;
	uint32_t page_size;
};

struct kt_error *kt_meminfo(struct kt_kernel *kernel, struct kt_meminfo *out);
/*
 * The same from the kernel's counters only: SHARED is Shmem and SLAB is
 * Slab as /proc/meminfo has them, where kt_meminfo counts struct pages as
 * crash does.  Its cost does not grow with the machine's memory.
 */
struct kt_error *kt_meminfo_counters(struct kt_kernel *kernel,
				     struct kt_meminfo *out);

/* ---- System (crash's sys) -------------------------------------------- */

struct kt_sysinfo {
	unsigned cpus;            /* possible CPUs */
	unsigned cpus_present;    /* what crash's CPUS shows; 0 when unknown */
	unsigned cpus_online;
	int64_t date;             /* seconds since the epoch at the crash */
	bool date_is_crashtime;   /* from VMCOREINFO CRASHTIME, else timekeeping */
	uint64_t uptime_ns;
	unsigned hz;              /* CONFIG_HZ, 0 when unknown */
	uint64_t load_average[3]; /* avenrun, fixed point with 11 bits */
	size_t tasks;             /* threads, idle tasks excluded */
	char nodename[65], release[65], version[65], machine[65];
	unsigned mhz;             /* cpu_khz / 1000, 0 when unknown */
	uint64_t memory_bytes;    /* present pages, as crash's MEMORY */
	char panic[512];          /* the panic message, "" when none */
	int32_t panic_pid;        /* -1 when unknown */
	char panic_comm[16];
	uint64_t panic_task;
	int32_t panic_cpu;        /* -1 when unknown */
};

/*
 * crash's `sys`, from the dump alone.  What cannot be read is left zero
 * (or -1) with a kernel warning; only a kernel with nothing readable fails.
 */
struct kt_error *kt_sysinfo(struct kt_kernel *kernel, struct kt_sysinfo *out);
/* The crashed machine's name (init_uts_ns), NUL-terminated in buf. */
struct kt_error *kt_kernel_nodename(struct kt_kernel *kernel, char *buf, size_t size);

/* ---- Stacks ---------------------------------------------------------- */

/* Registers of an exception or interrupt frame, or of a CPU from the notes. */
/*
 * A CPU's registers.  x86-64 fills the named ones (its user_regs_struct
 * order).  arm64 fills x[] and pstate, and also ip (pc), sp, bp (x29, the
 * frame pointer) and flags (pstate), so what needs only a pc and a stack
 * pointer reads the same fields on both (kt_kernel_arch says which).
 */
struct kt_regs {
	uint64_t r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si,
		di, orig_ax, ip, cs, flags, sp, ss;
	uint64_t x[31], pstate;  /* arm64 */
};

struct kt_frame {
	uint64_t pc;
	uint64_t sp;            /* the stack pointer in this frame */
	const char *function;   /* NULL when no symbol covers pc */
	uint64_t offset;
	const char *module;     /* NULL for the kernel image */
	bool reliable;          /* found by ORC, not by scanning the stack */
	bool exception;         /* pc came from a pt_regs frame (regs valid) */
	struct kt_regs regs;    /* when exception */
};

struct kt_stack {
	struct kt_frame *frames;
	size_t count;
	const char *start;      /* "saved context", "NT_PRSTATUS of CPU 1", ... */
	bool partial;           /* the unwind stopped early: kt_stack_error */
	struct kt_damage *damage; /* why (error.h); read with kt_stack_error */
	bool user_regs;         /* the stack ends at a pt_regs from user mode */
	struct kt_regs user;    /* those registers */
};

/*
 * Unwind a task's kernel stack with the kernel's own ORC tables: sleeping
 * tasks from their saved context, tasks on a CPU from that CPU's
 * NT_PRSTATUS registers; falls back to a scan of the stack for text
 * addresses (frames marked unreliable).  Free with kt_stack_free.
 */
struct kt_error *kt_stack_unwind(struct kt_kernel *kernel,
				 const struct kt_task *task,
				 struct kt_stack **out);
/* A CPU's stack from the registers it saved, with no task (nor types) needed. */
struct kt_error *kt_stack_unwind_cpu(struct kt_kernel *kernel, unsigned cpu,
				     struct kt_stack **out);
void kt_stack_free(struct kt_stack *stack);
/* Why the unwind stopped early (stack->partial), "" when it did not. */
const char *kt_stack_error(const struct kt_stack *stack);
/* Registers a CPU saved in the dump's notes (NT_PRSTATUS), if any. */
bool kt_cpu_registers(struct kt_kernel *kernel, unsigned cpu,
		      struct kt_regs *regs);

/* ---- Locks ----------------------------------------------------------- */

enum kt_lock_kind {
	KT_LOCK_MUTEX,
	KT_LOCK_RWSEM,
	KT_LOCK_PERCPU_RWSEM,
	KT_LOCK_RT_MUTEX,       /* also PREEMPT_RT's mutexes and spinlocks */
	/* Locks that record no owner: their holders are inferred (candidates). */
	KT_LOCK_SEMAPHORE,      /* struct semaphore */
	KT_LOCK_SPINLOCK,       /* spinlock_t, raw_spinlock_t (qspinlock) */
	KT_LOCK_RWLOCK,         /* rwlock_t (qrwlock) */
	/* Waits on something that records no owner: */
	KT_WAIT_COMPLETION,
	KT_WAIT_PAGE,           /* a folio's lock or writeback bit */
	KT_WAIT_IO,             /* io_schedule() */
	KT_WAIT_OTHER,          /* any other sleep, named by its function */
	KT_WAIT_NONE,           /* not waiting */
};

/* "mutex", "rwsem", "percpu_rwsem", "rt_mutex", "completion", "page"... */
const char *kt_lock_kind_name(enum kt_lock_kind kind);
/* Is it a lock with an owner (not a completion, page or I/O wait)? */
bool kt_lock_kind_has_owner(enum kt_lock_kind kind);
/* Is it a lock whose holder the kernel does not record (semaphore, spinlock)? */
bool kt_lock_kind_infers_holder(enum kt_lock_kind kind);
/* Is it a lock a CPU spins on (spinlock, rwlock)? */
bool kt_lock_kind_spins(enum kt_lock_kind kind);
/* A qspinlock word's queue tail: the last CPU queued on it, -1 for none. */
int32_t kt_qspinlock_tail_cpu(uint32_t val);
/* "WAITERS|HANDOFF": the names of a kind's owner-word flag bits. */
void kt_lock_flag_names(enum kt_lock_kind kind, uint64_t flags, char *buf,
			size_t size);

struct kt_lock_waiter {
	uint64_t task;
	int32_t pid;             /* -1 when not in the task list */
	uint64_t object;         /* its waiter (mutex_waiter, ...), 0 if none */
	bool writer;             /* waits to write (rwsem, percpu_rwsem) */
	bool in_list;            /* found in the lock's own waiter list/tree */
	bool via_pi_blocked_on;  /* found through task->pi_blocked_on */
};

/*
 * A task that may hold a lock which records no holder: its stack or a CPU's
 * registers keep the lock's address while it is not waiting for it.
 */
struct kt_lock_candidate {
	uint64_t task;
	int32_t pid;
	int32_t cpu;             /* the CPU it runs on, -1 when asleep */
	bool likely;             /* the evidence fits a holder; else only possible */
	char reason[128];        /* "on CPU 1, rbx of the interrupted rxq_drain_ring" */
};

struct kt_lock {
	uint64_t address;
	enum kt_lock_kind kind;
	char symbol[192];        /* "cgroup_mutex", "cfg_lock [cfgstore]", "" */
	uint64_t owner_word;     /* as the kernel had it, flag bits included */
	uint64_t flags;          /* the owner word's flag bits */
	uint64_t owner;          /* the owning task_struct, 0 for none */
	int32_t owner_pid;       /* -1 for none, or not a task */
	char owner_source[64];   /* how the owner was found */
	uint64_t count;          /* rwsem: count; percpu_rwsem: block */
	int64_t readers;         /* holding it for reading; -1: not a reader lock */
	struct kt_lock_waiter *waiters;
	size_t nr_waiters;
	uint64_t *reader_tasks;  /* readers found on their stacks (kt_lock_graph) */
	int32_t *reader_pids;
	size_t nr_readers;
	struct kt_lock_candidate *candidates; /* holders inferred (kt_lock_graph) */
	size_t nr_candidates;
	int32_t *spinner_cpus;   /* spinlock, rwlock: CPUs spinning on it */
	size_t nr_spinners;
	bool corrupt;            /* an owner or a list the kernel cannot have */
	bool partial;            /* a waiter list was damaged and cut short */
	struct kt_damage *damage; /* why corrupt or partial: kt_lock_problem */
};

/*
 * Decode a lock of a kind at an address: owner, flags, readers, waiters.
 * Damage gives a partial lock with corrupt/partial set, not an error.
 */
struct kt_error *kt_lock_decode(struct kt_kernel *kernel, uint64_t address,
				enum kt_lock_kind kind, struct kt_lock **out);
void kt_lock_free(struct kt_lock *lock);
/* Why the lock is corrupt or partial, its damage joined by "; " (at most
 * 191 bytes, as always shown); "" when whole. */
const char *kt_lock_problem(const struct kt_lock *lock);

/* What a sleeping task waits on, from its stack. */
struct kt_task_wait {
	uint64_t task;
	int32_t pid;
	enum kt_lock_kind kind;  /* KT_WAIT_NONE when nothing is known */
	uint64_t object;         /* the lock, completion or folio; 0: unknown */
	char symbol[192];        /* object's name, as struct kt_lock's */
	uint64_t waiter;         /* its waiter object, 0 when none */
	bool writer;             /* waits to write */
	uint32_t bit;            /* KT_WAIT_PAGE: the folio flag bit */
	char function[64];       /* the frame that names the wait */
	char how[64];            /* how object was found */
	int32_t cpu;             /* spinning: the CPU it spins on; else -1 */
};

struct kt_error *kt_task_wait(struct kt_kernel *kernel,
			      const struct kt_task *task,
			      struct kt_task_wait *out);

/* A task waits for another through a lock. */
struct kt_wait_edge {
	uint64_t from, to;       /* task_structs: from waits for to */
	int32_t from_pid, to_pid;
	uint64_t lock;
};

struct kt_lock_cycle {
	int32_t *pids;           /* pids[i] waits on locks[i], held by pids[i+1] */
	uint64_t *tasks;
	uint64_t *locks;
	size_t length;
};

/*
 * The wait-for graph: what every blocked (UN) task waits on, every lock
 * one of them waits on (decoded and cross-checked with its own waiters),
 * the task-to-task edges and their cycles.  Opaque: asked through the
 * queries below (lib/kernel/lock_queries.c).  Free with kt_lock_graph_free.
 */
struct kt_lock_graph;
struct kt_error *kt_lock_graph(struct kt_kernel *kernel,
			       struct kt_lock_graph **out);
void kt_lock_graph_free(struct kt_lock_graph *graph);

/* Everything in the graph, read-only, in the order it was found; a NULL graph is empty. */
struct kt_lock_graph_view {
	const struct kt_lock_graph *graph;
	const struct kt_lock *const *locks;
	const struct kt_task_wait *waits;
	const struct kt_wait_edge *edges;
	const struct kt_lock_cycle *cycles;
	size_t nr_locks, nr_waits, nr_edges, nr_cycles;
};
struct kt_lock_graph_view kt_lock_graph_view(const struct kt_lock_graph *graph);
/* The lock at an address, what a task (or a pid) waits on: NULL for none. */
const struct kt_lock *kt_lock_graph_lock_at(const struct kt_lock_graph *graph,
					    uint64_t address);
const struct kt_task_wait *kt_lock_graph_wait_of(const struct kt_lock_graph *graph,
						 uint64_t task);
const struct kt_task_wait *kt_lock_graph_wait_of_pid(const struct kt_lock_graph *graph,
						     int32_t pid);
/* The task of a pid that waits for another through a lock, 0 for none. */
uint64_t kt_lock_graph_waiter_task(const struct kt_lock_graph *graph, int32_t pid);
/* Is the pid on one of the graph's cycles? */
bool kt_lock_graph_in_cycle(const struct kt_lock_graph *graph, int32_t pid);

/*
 * From a waiter along its first edges towards the root of its wait: each
 * step waits for the next; stops at a task with no edge (the root), or at
 * an edge back to a task of the chain (cycle set), after at most
 * KT_LOCK_CHAIN_MAX steps.
 */
#define KT_LOCK_CHAIN_MAX 64
struct kt_lock_chain {
	const struct kt_wait_edge *steps[KT_LOCK_CHAIN_MAX];
	size_t length;
	bool cycle;
};
void kt_lock_graph_chain(const struct kt_lock_graph *graph, uint64_t task,
			 struct kt_lock_chain *chain);

#endif
