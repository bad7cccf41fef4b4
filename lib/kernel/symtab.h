/* SPDX-License-Identifier: MIT */
/* The symbol table that kallsyms, System.map and vmlinux fill (symbols.c). */
#ifndef KTRIAGE_KERNEL_SYMTAB_H
#define KTRIAGE_KERNEL_SYMTAB_H

#include "internal.h"

struct kt_symtab;

struct kt_symtab *kt_symtab_create(void);
void kt_symtab_destroy(struct kt_symtab *table);
/* Room for count symbols and names_bytes of names, when known in advance. */
struct kt_error *kt_symtab_reserve(struct kt_symtab *table, size_t count,
				   size_t names_bytes);
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

/* The kallsyms tables once copied out of memory. */
struct kt_kallsyms_buffers {
	const char *token_table;    /* token strings, NUL-separated */
	size_t token_table_size;
	const uint16_t *token_index;/* 256 offsets into token_table */
	const uint8_t *names;       /* kallsyms_names */
	size_t names_size;
	const int32_t *offsets;     /* kallsyms_offsets, count of them */
	uint32_t count;
	uint64_t relative_base;
};

/* Decode names and addresses from buffers into table (tests, fuzzing). */
struct kt_error *kt_kallsyms_decode(const struct kt_kallsyms_buffers *buffers,
				    struct kt_symtab *table);
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
