/* SPDX-License-Identifier: MIT */
/*
 * Inspecting the kernel's memory through its own types, as crash's struct,
 * p, rd, kmem and files do, with no debuginfo: the values come from the
 * dump's BTF.  Part of the kernel model (kernel.h includes it); the sinks
 * print the values (crash's text, JSON).
 */
#ifndef KTRIAGE_INSPECT_H
#define KTRIAGE_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ktriage/base.h"

struct kt_kernel;

/* ---- Values ---------------------------------------------------------- */

enum kt_value_kind {
	KT_VALUE_STRUCT,    /* also unions: children are the members */
	KT_VALUE_ARRAY,     /* children are the elements */
	KT_VALUE_CHARS,     /* an array of char: bytes */
	KT_VALUE_INT,
	KT_VALUE_CHAR,
	KT_VALUE_BOOL,
	KT_VALUE_ENUM,
	KT_VALUE_POINTER,   /* symbol/slab say what it points into */
	KT_VALUE_FUNCTION,  /* a pointer to a function: symbol is its name */
	KT_VALUE_FLOAT,
	KT_VALUE_OPAQUE,    /* a type BTF does not complete (a declaration) */
};

struct kt_value {
	const char *name;        /* member name; NULL: anonymous, an element */
	enum kt_value_kind kind;
	char *type;              /* C spelling: "struct list_head", "char [16]" */
	uint64_t address;        /* where it lies (a bit-field: its first byte) */
	uint64_t size;           /* bytes */
	uint32_t bit_size;       /* a bit-field's width, 0 otherwise */
	uint64_t bits;           /* scalars: the value; sign-extended if signed */
	bool is_signed;
	bool is_union;           /* KT_VALUE_STRUCT of a union */
	const char *enumerator;  /* KT_VALUE_ENUM: the value's name, or NULL */
	char *symbol;            /* pointers: "init_task+8" (gdb's), or NULL */
	char *slab;              /* pointers: "task_struct+0x40", or NULL */
	uint8_t *bytes;          /* KT_VALUE_CHARS: the array; char *: the string */
	size_t nr_bytes;
	bool string_read;        /* a char * whose string was read into bytes */
	struct kt_value *children;
	size_t count;
	size_t total;            /* elements the array has (count may be fewer) */
};

/*
 * The value of TYPE at address: type is "struct x", "x", "union x", a
 * typedef or "enum x"; member, when not NULL, selects one member through
 * dots ("se.on_rq").  The whole object is read at once: an unreadable
 * object is an error naming its address.  Free with kt_value_free.
 */
struct kt_error *kt_value_at(struct kt_kernel *kernel, const char *type,
			     const char *member, uint64_t address,
			     struct kt_value **out);
/*
 * A global variable: per-CPU ones ("runqueues" with cpu >= 0) are typed by
 * BTF; others only when their type is known to ktriage.  *address says
 * where the value was read.
 */
struct kt_error *kt_value_of_variable(struct kt_kernel *kernel,
				      const char *symbol, int cpu,
				      const char *member, struct kt_value **out,
				      uint64_t *address);
void kt_value_free(struct kt_value *value);
/* Is symbol a per-CPU variable (one BTF describes in .data..percpu)? */
bool kt_variable_is_per_cpu(struct kt_kernel *kernel, const char *symbol);

/* ---- What holds an address (crash's kmem ADDR) ----------------------- */

struct kt_address_owner {
	uint64_t address;
	bool readable;            /* it translates to a page the dump holds */
	uint64_t physical;        /* when it translates */
	char region[24];          /* "direct map", "kernel image", "module", "vmalloc", "" */
	char symbol[160];         /* image or module symbol: "jiffies+8", "" */
	char symbol_type;         /* its kallsyms letter */
	char module[64];          /* the module whose memory it is, "" */
	/* A slab object (slab_cache[0] != 0): */
	char slab_cache[64];
	uint64_t kmem_cache;      /* the struct kmem_cache */
	uint64_t slab;            /* its struct slab (head struct page) */
	uint64_t slab_memory;     /* where the slab's objects start */
	uint64_t slab_objects, slab_inuse; /* inuse less its CPU's lockless free list */
	uint64_t object, object_offset, object_size;
	bool object_free;         /* on the slab's or its CPU's free list */
	/* A task's (task_pid >= 0) task_struct or kernel stack: */
	int32_t task_pid;
	uint64_t task;
	bool in_stack;            /* in the task's kernel stack */
	uint64_t stack, stack_size;
	/* Its struct page (page != 0): */
	uint64_t page, page_flags, page_mapping, page_index;
	int32_t page_count;
};

struct kt_error *kt_address_owner(struct kt_kernel *kernel, uint64_t address,
				  struct kt_address_owner *out);

/* ---- Slab caches (crash's kmem -s, SLUB) ----------------------------- */

struct kt_slab_cache {
	uint64_t address;          /* struct kmem_cache */
	char name[64];
	uint64_t object_size;      /* what the user asked for (crash's OBJSIZE) */
	uint64_t size;             /* with metadata: the stride */
	uint64_t allocated;        /* objects in use */
	uint64_t total;            /* objects in all its slabs */
	uint64_t slabs;
	uint64_t slab_size;        /* bytes of one slab (crash's SSIZE) */
	bool partial;              /* a list was damaged: counts are a lower bound */
};

/* Every cache on slab_caches, in list order; free with free(). */
struct kt_error *kt_slab_caches(struct kt_kernel *kernel,
				struct kt_slab_cache **caches, size_t *count);

/* ---- Open files (crash's files) -------------------------------------- */

struct kt_open_file {
	int fd;
	uint64_t file, dentry, inode;
	char type[8];             /* "REG", "DIR", "CHR", "BLK", "FIFO", "SOCK", "LNK", "" */
	char path[512];           /* the path from the dentries and mounts */
};

struct kt_task;
struct kt_task_files {
	char root[512], cwd[512];
	struct kt_open_file *files;
	size_t count;
	bool partial;             /* the fd table was damaged */
};

struct kt_error *kt_task_files(struct kt_kernel *kernel,
			       const struct kt_task *task,
			       struct kt_task_files *out);
void kt_task_files_free(struct kt_task_files *files);

/* ---- Checking the files given beside the dump ------------------------ */

/* NULL, or why the --vmlinux is not the dump's build (its GNU build ID). */
struct kt_error *kt_kernel_check_vmlinux(struct kt_kernel *kernel);
/*
 * NULL, or why a --btf file does not describe the dump's kernel: where the
 * dump has BTF of its own, the sizes of the types ktriage reads must agree.
 */
struct kt_error *kt_kernel_check_btf(struct kt_kernel *kernel);

/* ---- A process's memory (crash's ps VSZ and RSS) -------------------- */

/*
 * VSZ (mm->total_vm) and RSS (file + anon + shmem pages of the mm, with
 * each thread's not yet folded counts), in KiB; both 0 for a task without
 * an mm (a kernel thread).
 */
struct kt_error *kt_task_memory(struct kt_kernel *kernel,
				const struct kt_task *task, uint64_t *vsz_kb,
				uint64_t *rss_kb);

#endif
