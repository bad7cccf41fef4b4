/* SPDX-License-Identifier: MIT */
/*
 * arm64's pieces that can be tested on their own: the page-table walk and
 * the frame-record walk take a reader, so unit tests build page tables and
 * stacks in memory (tests/unit/test_arch_arm64.c).  Not a public header.
 */
#ifndef KTRIAGE_KERNEL_ARCH_ARM64_H
#define KTRIAGE_KERNEL_ARCH_ARM64_H

#include "internal.h"

/* Reads one 64-bit word: a physical address for the walk, virtual for stacks. */
typedef struct kt_error *(*kt_arm64_read_fn)(void *context, uint64_t address,
					     uint64_t *value);

/* How the kernel's translation tables are laid out (TCR_EL1 for TTBR1). */
struct kt_arm64_mmu {
	unsigned page_shift;   /* 12, 14 or 16: the granule */
	unsigned va_bits;      /* 39, 42, 47, 48 or 52: what the tables index */
	bool lpa2;             /* 4K/16K with 52-bit output: OA[51:50] in [9:8] */
	uint64_t root;         /* physical address of swapper_pg_dir */
};

/* How many levels the tables of this granule and VA size have (1 to 5). */
unsigned kt_arm64_levels(const struct kt_arm64_mmu *mmu);
/* Whether the granule and VA size are ones arm64 has; false for others. */
bool kt_arm64_mmu_valid(const struct kt_arm64_mmu *mmu);
/* Translate vaddr by walking the tables; an error names the level and entry. */
struct kt_error *kt_arm64_walk(const struct kt_arm64_mmu *mmu,
			       kt_arm64_read_fn read, void *context,
			       uint64_t vaddr, uint64_t *paddr);

/*
 * One step of the frame-record chain (arch/arm64/kernel/stacktrace.c): the
 * record at fp holds the caller's fp and the return address (lr), whose
 * pointer-authentication bits pac_mask clears.
 */
struct kt_arm64_frame_record {
	uint64_t fp, lr;
};
uint64_t kt_arm64_strip_pac(uint64_t address, uint64_t pac_mask);

/* The kernel's struct pt_regs layout, from BTF or the 6.1 defaults. */
struct kt_arm64_pt_regs_layout {
	uint64_t size;
	uint64_t stackframe;   /* offsetof(struct pt_regs, stackframe) */
	uint64_t meta_type;    /* offset of stackframe.type (6.13+), 0: none */
};

/* Registers of a pt_regs / user_pt_regs image (x0-x30, sp, pc, pstate). */
void kt_arm64_regs_from_words(const uint64_t *words, struct kt_regs *regs);



/* The frame-record walk, with what it needs from the kernel as callbacks. */
struct kt_arm64_frame {
	uint64_t pc, sp;
	bool exact;               /* pc is where it stopped, not a return address */
	bool reliable;
	const struct kt_regs *regs; /* the pt_regs (or CPU registers) pc came from */
};

struct kt_arm64_unwinder {
	kt_arm64_read_fn read;    /* kernel virtual addresses */
	bool (*is_text)(void *context, uint64_t address);
	/* The start of the function holding address, 0 when none does. */
	uint64_t (*function_start)(void *context, uint64_t address);
	/* Takes each frame; an error (too many frames) ends the walk. */
	struct kt_error *(*frame)(void *context, const struct kt_arm64_frame *frame);
	void *context;
	uint64_t pac_mask;
	uint64_t thread_size;
	unsigned va_bits;
	struct kt_arm64_pt_regs_layout layout;
};

struct kt_arm64_unwind_result {
	bool partial;
	char error[160];
	bool user_regs;           /* the chain ended at a pt_regs from EL0 */
	struct kt_regs user;
};

/*
 * Walk from a CPU's registers (regs: exact pc, x29, x30) or, with regs NULL,
 * from a sleeping task's saved pc, sp and fp.
 */
void kt_arm64_unwind(const struct kt_arm64_unwinder *unwinder,
		     const struct kt_regs *regs, uint64_t pc, uint64_t sp,
		     uint64_t fp, struct kt_arm64_unwind_result *result);
/* Data symbols a kernel without KALLSYMS_ALL lacks (arch_arm64_symbols.c). */
struct kt_arm64_data_symbols {
	bool btf_tried, per_cpu_tried, modules_tried, taint_tried, panic_tried, cgroup_tried;
	uint64_t btf_start, btf_end, per_cpu_offset, runqueues, init_task;
	uint64_t modules, tainted_mask, panic_cpu, cgroup_mutex, cgroup_threadgroup_rwsem;
};
struct kt_arm64_data_symbols *kt_arm64_data_symbols(struct kt_kernel *kernel);
bool kt_arm64_recover_symbol(struct kt_kernel *kernel, const char *name,
			     uint64_t *address);
bool kt_arm64_recovered_symbol_at(struct kt_kernel *kernel, uint64_t address,
				  struct kt_symbol *symbol);
/* Addresses a function's ADRP + ADD/LDR/STR pairs form, at most max. */
size_t kt_arm64_code_targets(const uint32_t *insns, size_t count, uint64_t pc,
			     uint64_t *targets, size_t max);
/* The kernel image's virtual range, _text (2 MiB-aligned) to its mapping's end. */
void kt_arm64_image(const struct kt_kernel *kernel, uint64_t *start, uint64_t *end);
bool kt_arm64_in_image(const struct kt_kernel *kernel, uint64_t address);

#endif
