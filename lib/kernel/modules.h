/* SPDX-License-Identifier: MIT */
/* What modules.c, module_symbols.c and taint.c share; not a public header. */
#ifndef KTRIAGE_KERNEL_MODULES_H
#define KTRIAGE_KERNEL_MODULES_H

#include "internal.h"

struct kt_symtab;

/* A stretch of a module's memory: 6.1 has core and init layouts, 6.4+ has
 * one per struct module_memory (text, data, rodata, ...). */
struct kt_module_region {
	uint64_t base, size;
	bool text;
};

#define KT_MODULE_MAX_REGIONS 8

struct kt_module_detail {
	struct kt_module_region regions[KT_MODULE_MAX_REGIONS];
	size_t nr_regions;
	uint64_t kallsyms;         /* struct mod_kallsyms *, 0 when none */
	bool symbols_loaded;       /* tried, whether or not it worked */
	struct kt_symtab *symbols; /* NULL until loaded, or when unreadable */
};

struct kt_module_list {
	struct kt_module *modules;       /* sorted by base, as crash lists them */
	struct kt_module_detail *details; /* parallel to modules */
	size_t count;
	bool loading;                    /* guards against re-entry */
};

/* The list, read on first use; NULL while it cannot be read yet. */
struct kt_module_list *kt_module_list(struct kt_kernel *kernel);
/* The module and region holding address, or -1. */
long kt_module_index_at(struct kt_module_list *list, uint64_t address,
			const struct kt_module_region **region);

/* A module's kallsyms, read on first use (module_symbols.c). */
struct kt_symtab *kt_module_symbols(struct kt_kernel *kernel,
				    struct kt_module_list *list, size_t index);

/* Only the letters a module can carry (module_flags_taint) (taint.c). */
void kt_module_taint_letters(uint64_t mask, char *letters, size_t size);

#endif
