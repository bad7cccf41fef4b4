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
};

extern const struct kt_arch_ops kt_arch_x86_64;

/* Each concern keeps its state behind its own pointer; NULL until built. */
struct kt_arch_state;
struct kt_symbols;
struct kt_types;
struct kt_log;
struct kt_task_list;
struct kt_module_list;

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

	unsigned nr_cpus;
	uint64_t *per_cpu_offset;    /* __per_cpu_offset[nr_cpus] */

	char **warnings;
	size_t nr_warnings;
};

/* Record a problem that did not stop the model (kernel.c). */
void kt_kernel_warn(struct kt_kernel *kernel, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Concerns' set-up and tear-down, called by kernel.c in this order. */
struct kt_error *kt_symbols_init(struct kt_kernel *kernel);
void kt_symbols_destroy(struct kt_kernel *kernel);
struct kt_error *kt_types_init(struct kt_kernel *kernel);
void kt_types_destroy(struct kt_kernel *kernel);
void kt_log_destroy(struct kt_kernel *kernel);
void kt_tasks_destroy(struct kt_kernel *kernel);
void kt_modules_destroy(struct kt_kernel *kernel);

/*
 * A symbol's address from VMCOREINFO or, failing that, kallsyms: the
 * bootstrap needs a few before kallsyms is decoded.
 */
struct kt_error *kt_kernel_symbol(struct kt_kernel *kernel, const char *name,
				  uint64_t *address);

/* Module symbols and text, for symbols.c (modules.c). */
bool kt_module_symbol_at(struct kt_kernel *kernel, uint64_t address,
			 struct kt_symbol *symbol, uint64_t *offset);
bool kt_module_text_contains(struct kt_kernel *kernel, uint64_t address);

/* Read a member of a structure at base; looks the offset up by name. */
struct kt_error *kt_read_member_u64(struct kt_kernel *kernel, uint64_t base,
				    const char *type, const char *member,
				    uint64_t *value);
/* Any integer member of 1, 2, 4 or 8 bytes, zero-extended. */
struct kt_error *kt_read_member_uint(struct kt_kernel *kernel, uint64_t base,
				     const char *type, const char *member,
				     uint64_t *value);

#endif
