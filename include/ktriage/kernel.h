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
#include "ktriage/error.h"

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

struct kt_kernel_options {
	const char *vmlinux;    /* debug vmlinux: DWARF types and ELF symbols */
	const char *btf;        /* a BTF file instead of the dump's own */
	const char *system_map; /* System.map symbols */
};

/*
 * Build the model's foundations: VMCOREINFO, address translation, symbols
 * and types.  Higher parts (log, tasks, modules...) are computed on demand.
 * The dump stays owned by the caller and must outlive the kernel.
 */
struct kt_error *kt_kernel_open(struct kt_dump *dump,
				const struct kt_kernel_options *options,
				struct kt_kernel **out);
void kt_kernel_close(struct kt_kernel *kernel);
struct kt_dump *kt_kernel_dump(const struct kt_kernel *kernel);
const struct kt_vmcoreinfo *kt_kernel_vmcoreinfo(const struct kt_kernel *kernel);
const char *kt_kernel_release(const struct kt_kernel *kernel);
/* Problems met while building the model that did not stop it. */
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
uint64_t kt_kernel_phys_to_virt(const struct kt_kernel *kernel, uint64_t paddr);
bool kt_kernel_is_kernel_address(const struct kt_kernel *kernel, uint64_t vaddr);

/* Per-CPU data: address of a per-CPU symbol's copy on a CPU. */
unsigned kt_kernel_nr_cpus(const struct kt_kernel *kernel); /* possible */
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
/* The declared type of a global variable BTF does not describe. */
const char *kt_type_of_variable(const char *variable);

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

/* ---- System (crash's sys) -------------------------------------------- */

struct kt_sysinfo {
	unsigned cpus;            /* possible CPUs */
	unsigned cpus_online;
	int64_t date;             /* seconds since the epoch at the crash */
	uint64_t uptime_ns;
	uint64_t load_average[3]; /* avenrun, fixed point with 11 bits */
	size_t tasks;             /* threads, idle tasks excluded */
	char nodename[65], release[65], version[65], machine[65];
	uint64_t memory_bytes;
	char panic[512];          /* the panic message, "" when none */
	int32_t panic_pid;        /* -1 when unknown */
	char panic_comm[16];
	uint64_t panic_task;
	int32_t panic_cpu;        /* -1 when unknown */
};

struct kt_error *kt_sysinfo(struct kt_kernel *kernel, struct kt_sysinfo *out);

#endif
