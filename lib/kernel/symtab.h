/* SPDX-License-Identifier: MIT */
/* The symbol table that kallsyms, System.map and vmlinux fill (symbols.c). */
#ifndef KTRIAGE_KERNEL_SYMTAB_H
#define KTRIAGE_KERNEL_SYMTAB_H

#include "internal.h"

struct kt_symtab;

struct kt_symtab *kt_symtab_create(void);
void kt_symtab_destroy(struct kt_symtab *table);
struct kt_error *kt_symtab_add(struct kt_symtab *table, const char *name,
			       size_t name_len, uint64_t address, char type);
/* Sort and index; call once after the last add. */
struct kt_error *kt_symtab_finish(struct kt_symtab *table);
size_t kt_symtab_count(const struct kt_symtab *table);
bool kt_symtab_lookup_name(const struct kt_symtab *table, const char *name,
			   uint64_t *address);
/* The symbol at or below address; false when none. */
bool kt_symtab_lookup_address(const struct kt_symtab *table, uint64_t address,
			      struct kt_symbol *symbol);

/* Decode the kernel's kallsyms tables from memory into table (kallsyms.c). */
struct kt_error *kt_kallsyms_load(struct kt_kernel *kernel,
				  struct kt_symtab *table);
/* The same from a System.map or a vmlinux's ELF symbols (symbol_files.c). */
struct kt_error *kt_system_map_load(struct kt_kernel *kernel, const char *path,
				    struct kt_symtab *table);
struct kt_error *kt_vmlinux_symbols_load(struct kt_kernel *kernel,
					 const char *path,
					 struct kt_symtab *table);

#endif
