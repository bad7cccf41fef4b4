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
/*
 * Index buffers into an empty table without expanding the names: names
 * hash from per-token hashes, and one is expanded only when a lookup
 * lands on it (kallsyms_index.c).  The same errors as kt_kallsyms_decode.
 * *indexed is false, and the table left empty, when the addresses are not
 * in order; when true, the table owns the buffers (kt_kallsyms_free).
 */
struct kt_error *kt_symtab_index_kallsyms(struct kt_symtab *table,
					  struct kt_kallsyms_buffers *buffers,
					  bool *indexed);

/* The index itself, behind a table (kallsyms_index.c). */
struct kt_kallsyms_index;
/* NULL in *index, and no error, when the addresses are not in order. */
struct kt_error *kt_kallsyms_index_create(const struct kt_kallsyms_buffers *buffers,
					  struct kt_kallsyms_index **index);
void kt_kallsyms_index_destroy(struct kt_kallsyms_index *index);
size_t kt_kallsyms_index_count(const struct kt_kallsyms_index *index);
bool kt_kallsyms_index_lookup_name(struct kt_kallsyms_index *index,
				   const char *name, uint64_t *address);
bool kt_kallsyms_index_lookup_address(struct kt_kallsyms_index *index,
				      uint64_t address, struct kt_symbol *symbol);

/* The index's own arrays, to keep them (the build cache) and take them back. */
struct kt_kallsyms_index_arrays {
	const void *entry, *slots;
	size_t entry_bytes, slot_bytes;
};
void kt_kallsyms_index_arrays(const struct kt_kallsyms_index *index,
			      struct kt_kallsyms_index_arrays *arrays);
/* An index of buffers from arrays an earlier index gave; NULL in *index
 * when their sizes do not fit the buffers.  On success it owns buffers. */
struct kt_error *kt_kallsyms_index_restore(const struct kt_kallsyms_buffers *buffers,
					   const struct kt_kallsyms_index_arrays *arrays,
					   struct kt_kallsyms_index **index);
const struct kt_kallsyms_buffers *kt_kallsyms_index_buffers(const struct kt_kallsyms_index *index);
/* The table's kallsyms index, or NULL; a table takes one (empty tables only). */
struct kt_kallsyms_index *kt_symtab_kallsyms(const struct kt_symtab *table);
bool kt_symtab_set_kallsyms(struct kt_symtab *table, struct kt_kallsyms_index *index);

/* The build cache (kallsyms_cache.c): true when it filled table; after a
 * fresh index, put it there.  Both do nothing without options.build_cache. */
bool kt_kallsyms_cache_get(struct kt_kernel *kernel, struct kt_symtab *table);
void kt_kallsyms_cache_put(struct kt_kernel *kernel, const struct kt_symtab *table);

/* The pieces of the format both share (kallsyms.c). */
#define KT_KALLSYMS_MAX_NAME 512
void kt_kallsyms_token_lengths(const struct kt_kallsyms_buffers *buffers,
			       int lengths[256]);
int kt_kallsyms_expand(const struct kt_kallsyms_buffers *buffers,
		       const int lengths[256], const uint8_t *entry, size_t len,
		       char name[KT_KALLSYMS_MAX_NAME]);
bool kt_kallsyms_absolute_percpu(const int32_t *offsets, uint32_t count);
static inline uint64_t kt_kallsyms_address(int32_t offset, uint64_t relative_base,
					   bool absolute_percpu)
{
	if (!absolute_percpu)
		return relative_base + (uint32_t)offset;
	if (offset >= 0)
		return (uint64_t)offset;
	return relative_base - 1 - (uint64_t)(int64_t)offset;
}
/* Symbol i's entry at *pos: its token count in *len, *pos past the length. */
struct kt_error *kt_kallsyms_entry(const struct kt_kallsyms_buffers *buffers,
				   uint32_t i, size_t *pos, size_t *len);
/* Where the kernel's kallsyms tables are, and their sizes (kallsyms.c). */
struct kt_kallsyms_location {
	uint64_t names, token_table, token_index, offsets, relative_base;
	uint32_t count;
	size_t names_size, token_table_size;
};
struct kt_error *kt_kallsyms_locate(struct kt_kernel *kernel,
				    struct kt_kallsyms_location *at);
/* Buffers of the located sizes, filled by the caller; kt_kallsyms_free. */
struct kt_error *kt_kallsyms_alloc(const struct kt_kallsyms_location *at,
				   struct kt_kallsyms_buffers *buffers);
/* Copy the kernel's kallsyms tables out of memory; kt_kallsyms_free. */
struct kt_error *kt_kallsyms_read(struct kt_kernel *kernel,
				  struct kt_kallsyms_buffers *buffers);
void kt_kallsyms_free(struct kt_kallsyms_buffers *buffers);
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
