/* SPDX-License-Identifier: MIT */
/* What the kernel model's files share; not a public header. */
#ifndef KTRIAGE_KERNEL_INTERNAL_H
#define KTRIAGE_KERNEL_INTERNAL_H

#include "ktriage/kernel.h"

/* The largest number of entries any walk of a kernel list may visit. */
#define KT_MAX_LIST_ENTRIES (1u << 22)
#define KT_MAX_CPUS 8192

/* Architecture: how virtual addresses become physical. */
struct kt_arch_ops {
	const char *name;
	/* Find what translation needs (page-table root, direct map base). */
	struct kt_error *(*init)(struct kt_kernel *kernel);
	/* Once symbols are known: what needs them (direct map base). */
	struct kt_error *(*late_init)(struct kt_kernel *kernel);
	struct kt_error *(*translate)(struct kt_kernel *kernel, uint64_t vaddr,
				      uint64_t *paddr);
	uint64_t (*phys_to_virt)(const struct kt_kernel *kernel, uint64_t paddr);
	bool (*is_kernel_address)(const struct kt_kernel *kernel, uint64_t vaddr);
	void (*destroy)(struct kt_kernel *kernel);
	/* The registers an NT_PRSTATUS note saved. */
	void (*prstatus_registers)(const struct kt_prstatus *note,
				   struct kt_regs *regs);
	/* Unwind into stack from registers with an exact pc (a CPU's). */
	struct kt_error *(*unwind_regs)(struct kt_kernel *kernel,
					const struct kt_regs *regs,
					struct kt_stack *stack);
	/* Unwind a sleeping task from what its last context switch saved. */
	struct kt_error *(*unwind_saved)(struct kt_kernel *kernel,
					 const struct kt_task *task,
					 struct kt_stack *stack);
	/* Optional: a data symbol kallsyms lacks, found another way. */
	bool (*recover_symbol)(struct kt_kernel *kernel, const char *name,
			       uint64_t *address);
	/* Optional: and back, the name of such a symbol's exact address. */
	bool (*recovered_symbol_at)(struct kt_kernel *kernel, uint64_t address,
				    struct kt_symbol *symbol);
	/* Optional: the number of possible CPUs when nr_cpu_ids is unknown. */
	unsigned (*count_cpus)(struct kt_kernel *kernel);
	/* THREAD_SIZE when the init task's stack bounds are unknown. */
	uint64_t (*default_thread_size)(const struct kt_kernel *kernel);
};

extern const struct kt_arch_ops kt_arch_x86_64;
extern const struct kt_arch_ops kt_arch_arm64;

/* The unwinders behind the ops (stack.c: ORC; stack_arm64.c: frame records). */
struct kt_error *kt_x86_64_unwind_regs(struct kt_kernel *kernel,
				       const struct kt_regs *regs,
				       struct kt_stack *stack);
struct kt_error *kt_x86_64_unwind_saved(struct kt_kernel *kernel,
					const struct kt_task *task,
					struct kt_stack *stack);
struct kt_error *kt_arm64_unwind_regs(struct kt_kernel *kernel,
				      const struct kt_regs *regs,
				      struct kt_stack *stack);
struct kt_error *kt_arm64_unwind_saved(struct kt_kernel *kernel,
				       const struct kt_task *task,
				       struct kt_stack *stack);
uint64_t kt_arm64_pac_mask(const struct kt_kernel *kernel);
/* "x0".."x30", for what names the register holding a value (the lock finders). */
extern const char *const kt_arm64_register_names[31];
bool kt_kernel_is_arm64(const struct kt_kernel *kernel);
unsigned kt_arm64_va_bits(const struct kt_kernel *kernel);

/*
 * Append a frame to a stack being unwound (unwind.c), its symbol looked up
 * at pc, or at pc - 1 when pc is a return address (exact false: the call
 * may be a function's last instruction).  regs: the pt_regs the pc came
 * from, NULL for a return address.  Errors past KT_MAX_FRAMES.
 */
#define KT_MAX_FRAMES 128
struct kt_error *kt_stack_add_frame(struct kt_kernel *kernel,
				    struct kt_stack *stack, uint64_t pc,
				    uint64_t sp, bool exact, bool reliable,
				    const struct kt_regs *regs);

/* Each concern keeps its state behind its own pointer; NULL until built. */
struct kt_arch_state;
struct kt_symbols;
struct kt_types;
struct kt_log;
struct kt_task_list;
struct kt_module_list;
struct kt_orc;
struct kt_layouts;

struct kt_kernel {
	struct kt_dump *dump;
	struct kt_kernel_options options;
	struct kt_vmcoreinfo *vmcoreinfo;
	const char *release;
	uint32_t page_size;
	uint64_t kernel_offset;  /* KASLR slide: KERNELOFFSET */
	int64_t phys_base;       /* NUMBER(phys_base) */

	const struct kt_arch_ops *arch;
	struct kt_arch_state *arch_state;
	struct kt_symbols *symbols;  /* symbols.c: kallsyms, modules, maps */
	struct kt_types *types;      /* types.c: BTF or DWARF */
	struct kt_log *log;          /* log.c */
	struct kt_task_list *tasks;  /* tasks.c */
	struct kt_module_list *modules; /* modules.c */
	struct kt_orc *orc;          /* orc.c */
	struct kt_layouts *layouts;  /* layouts.c: member offsets, built once */

	unsigned nr_cpus;
	uint64_t *per_cpu_offset;    /* __per_cpu_offset[nr_cpus] */

	/* The bootstrap stages are built on first use (kt_kernel_need_*) or by
	 * kt_kernel_load: dmesg needs neither symbols nor types, and a dump
	 * whose BTF is damaged still has a log.  Each is tried once. */
	struct {
		bool tried;
		struct kt_error *error;  /* why it failed */
	} stages[KT_KERNEL_NR_STAGES];

	struct kt_damage *damage;  /* what is wrong with this kernel (error.h) */
};

/*
 * How many objects of a size the dump's memory can hold (at most
 * KT_MAX_LIST_ENTRIES): no kernel has more tasks than its memory holds
 * task_structs, so a crafted list of millions of entries costs what the
 * dump's size allows, not gigabytes (kernel.c).
 */
size_t kt_kernel_max_objects(const struct kt_kernel *kernel,
			     uint64_t object_size);

/* THREAD_SIZE, the size of a task's kernel stack, derived once (layouts.c). */
uint64_t kt_kernel_thread_size(struct kt_kernel *kernel);

/* Record a problem that did not stop the model in the kernel's damage
 * list, as the code says (kernel.c); kt_kernel_warn: a kernel structure
 * held what it cannot (KT_ERR_INVALID). */
void kt_kernel_damage(struct kt_kernel *kernel, enum kt_error_code code,
		      uint64_t object, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void kt_kernel_warn(struct kt_kernel *kernel, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Build symbols (and the direct map that needs them), types or the per-CPU
 * offsets the first time anything asks; later calls answer at once.  The
 * error, when there is one, is a fresh copy of why they are missing.
 */
struct kt_error *kt_kernel_need_symbols(struct kt_kernel *kernel);
struct kt_error *kt_kernel_need_types(struct kt_kernel *kernel);
/* The same for a probe: whether there are types, with no error to free. */
bool kt_kernel_has_types(struct kt_kernel *kernel);

/*
 * A member, for a probe that can do without it: false when the kernel has
 * no such type or member (or no types), and no error is made to be thrown
 * away (types.c).
 */
bool kt_type_probe_member(struct kt_kernel *kernel, const char *type,
			  const char *member, struct kt_member *out);

/* The foundations' set-up and tear-down (kernel.c calls them). */
struct kt_error *kt_symbols_init(struct kt_kernel *kernel);
void kt_symbols_destroy(struct kt_kernel *kernel);
struct kt_error *kt_types_init(struct kt_kernel *kernel);
void kt_types_destroy(struct kt_kernel *kernel);

/*
 * The concerns built on the foundations (log, tasks, modules, ORC...): each
 * builds its state on first use and frees it in its destroy function, one
 * row of concerns.c; kt_kernel_close runs the rows in order, before the
 * foundations go.  kernel.c names none of them.
 */
typedef void kt_kernel_concern_destroy_fn(struct kt_kernel *kernel);
extern kt_kernel_concern_destroy_fn *const kt_kernel_concerns[];
extern const size_t kt_nr_kernel_concerns;
void kt_log_destroy(struct kt_kernel *kernel);
void kt_tasks_destroy(struct kt_kernel *kernel);
void kt_modules_destroy(struct kt_kernel *kernel);
void kt_orc_destroy(struct kt_kernel *kernel);
void kt_layouts_destroy(struct kt_kernel *kernel);

/*
 * A symbol's address from VMCOREINFO or, failing that, kallsyms: the
 * bootstrap needs a few before kallsyms is decoded.
 */
struct kt_error *kt_kernel_symbol(struct kt_kernel *kernel, const char *name,
				  uint64_t *address);

/* NULL when a vmlinux's GNU build ID is the dump's BUILD-ID (build_id.c). */
struct Elf;
struct kt_error *kt_vmlinux_check_build_id(struct kt_kernel *kernel,
					   const char *path, struct Elf *elf);

/* Module symbols and text, for symbols.c (modules.c). */
bool kt_module_symbol_at(struct kt_kernel *kernel, uint64_t address,
			 struct kt_symbol *symbol, uint64_t *offset);
bool kt_module_text_contains(struct kt_kernel *kernel, uint64_t address);
/* A module symbol's address by name, for kt_symbol_address. */
bool kt_module_symbol_address(struct kt_kernel *kernel, const char *name,
			      uint64_t *address);

/* One ORC entry, decoded whatever the kernel version's layout (orc.c). */
enum kt_orc_type {
	KT_ORC_CALL,          /* sp points just above a return address */
	KT_ORC_REGS,          /* sp points to a full struct pt_regs */
	KT_ORC_REGS_PARTIAL,  /* sp points to the iret frame of a pt_regs */
	KT_ORC_END_OF_STACK,  /* the outermost frame */
	KT_ORC_UNDEFINED,     /* no unwind information here */
};

enum kt_orc_reg {
	KT_ORC_REG_UNDEFINED = 0,
	KT_ORC_REG_PREV_SP = 1,
	KT_ORC_REG_DX = 2,
	KT_ORC_REG_DI = 3,
	KT_ORC_REG_BP = 4,
	KT_ORC_REG_SP = 5,
	KT_ORC_REG_R10 = 6,
	KT_ORC_REG_R13 = 7,
	KT_ORC_REG_BP_INDIRECT = 8,
	KT_ORC_REG_SP_INDIRECT = 9,
};

struct kt_orc_entry {
	int16_t sp_offset, bp_offset;
	enum kt_orc_reg sp_reg, bp_reg;
	enum kt_orc_type type;
};

/* The ORC entry covering ip, from the kernel's or its module's table. */
struct kt_error *kt_orc_find(struct kt_kernel *kernel, uint64_t ip,
			     struct kt_orc_entry *entry);
/* The entry `back` places before the one covering ip, and where it starts. */
struct kt_error *kt_orc_find_before(struct kt_kernel *kernel, uint64_t ip,
				    unsigned back, struct kt_orc_entry *entry,
				    uint64_t *entry_ip);

/* Read a member of a structure at base; looks the offset up by name. */
struct kt_error *kt_read_member_u64(struct kt_kernel *kernel, uint64_t base,
				    const char *type, const char *member,
				    uint64_t *value);
/* Any integer member of 1, 2, 4 or 8 bytes, zero-extended. */
struct kt_error *kt_read_member_uint(struct kt_kernel *kernel, uint64_t base,
				     const char *type, const char *member,
				     uint64_t *value);
/* The same as probes: true when read, nothing kept of why not. */
bool kt_try_member(struct kt_kernel *kernel, uint64_t base, const char *type,
		   const char *member, uint64_t *value);
bool kt_try_read_u64(struct kt_kernel *kernel, uint64_t address, uint64_t *value);

/*
 * Walking a kernel list_head list (list.c): bounded by limit (at most
 * KT_MAX_LIST_ENTRIES) and stopped at the first entry that comes round
 * again.  The reader is a parameter so tests can walk lists they build.
 */
typedef struct kt_error *(*kt_list_read_fn)(void *context, uint64_t address,
					    uint64_t *value);
struct kt_list_walk {
	kt_list_read_fn read;
	void *context;
	uint64_t head, current, next;  /* next: current's next pointer */
	uint64_t next_offset;          /* of list_head.next: 0 in every kernel */
	size_t count, limit;
	bool done;
	uint64_t *set;  /* entries seen, open addressing */
	size_t set_slots, set_used;
};
void kt_list_walk_init(struct kt_list_walk *walk, kt_list_read_fn read,
		       void *context, uint64_t head, size_t limit);
void kt_list_walk_kernel(struct kt_list_walk *walk, struct kt_kernel *kernel,
			 uint64_t head);
/* The next entry's list_head address in *entry, or 0 at the end.  An error
 * (bad pointer, loop, limit) ends the walk; entries given so far stand. */
struct kt_error *kt_list_walk_next(struct kt_list_walk *walk, uint64_t *entry);
void kt_list_walk_destroy(struct kt_list_walk *walk);

/* Task states (task_state.c): the kernel's TASK_* bits, from its own
 * task_state_array (false when unreadable), or else for its version. */
struct kt_task_state_bits {
	uint32_t interruptible, uninterruptible, stopped, traced;
	uint32_t exit_dead, exit_zombie, parked, dead, wakekill, waking;
	uint32_t noload, new_task, rtlock_wait;
	uint32_t report;        /* the bits /proc reports (TASK_REPORT) */
};
bool kt_task_state_bits_of(struct kt_kernel *kernel,
			   struct kt_task_state_bits *bits);
void kt_task_state_bits_for(unsigned major, unsigned minor,
			    struct kt_task_state_bits *bits);
enum kt_task_state kt_task_state_decode(const struct kt_task_state_bits *bits,
					uint64_t state, uint64_t exit_state);

#endif
