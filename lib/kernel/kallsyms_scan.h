/* SPDX-License-Identifier: MIT */
/*
 * Finding the kallsyms tables in the kernel image when VMCOREINFO does not
 * name them (kernels before 6.0): kallsyms_scan.c searches, through a read
 * callback, kallsyms_image.c gives it the dump's kernel image.
 */
#ifndef KTRIAGE_KERNEL_KALLSYMS_SCAN_H
#define KTRIAGE_KERNEL_KALLSYMS_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* The tables' addresses, as 6.0+'s VMCOREINFO SYMBOL(kallsyms_*) give them. */
struct kt_kallsyms_tables {
	uint64_t names, num_syms, token_table, token_index, offsets,
		relative_base;
};

/* Copy len bytes at address; false when they cannot be read. */
typedef bool (*kt_image_read_fn)(void *context, uint64_t address, void *buf,
				 size_t len);

#define KT_KALLSYMS_MAX_FACTS 8

struct kt_kallsyms_scan_input {
	kt_image_read_fn read;
	void *context;
	uint64_t start, end;  /* the image range searched: [start, end) */
	uint64_t stext;       /* SYMBOL(_stext): every kernel's kallsyms has it */
	/* More addresses VMCOREINFO gives (init_uts_ns, swapper_pg_dir, ...):
	 * data symbols, in kallsyms only with CONFIG_KALLSYMS_ALL. */
	uint64_t facts[KT_KALLSYMS_MAX_FACTS];
	size_t nr_facts;
};

struct kt_kallsyms_scan_result {
	struct kt_kallsyms_tables tables;
	uint32_t count;          /* kallsyms_num_syms */
	unsigned marker_width;   /* 8 (unsigned long) or 4 (u32) */
	bool absolute_percpu;    /* negative offsets: relative_base - 1 - offset */
	size_t facts_matched;    /* of input facts, how many are symbols */
	unsigned pages_read;     /* the cost: pages asked of the reader */
	unsigned candidates;     /* offsets-like places tried */
};

/*
 * Search [start, end) for the kallsyms tables of 4.18..6.3 kernels
 * (scripts/kallsyms: offsets, relative_base, num_syms, names, markers,
 * [seqs_of_names], token_table, token_index) and of 6.4+ (num_syms, names,
 * markers, token_table, token_index, offsets, relative_base, ...): one- or
 * two-byte name lengths, u64 or u32 markers, with or without absolute
 * per-CPU symbols.  A candidate is
 * accepted only when every structure agrees with the others and
 * SYMBOL(_stext) is one of its addresses.  Reads go through a one-page
 * window, are bounded by the range (result->pages_read counts them), and
 * no length read from the image is trusted before it is checked.
 */
struct kt_error *kt_kallsyms_scan(const struct kt_kallsyms_scan_input *input,
				  struct kt_kallsyms_scan_result *result);

/* The tables of the dump's kernel, found by scanning its image. */
struct kt_error *kt_kallsyms_scan_kernel(struct kt_kernel *kernel,
					 struct kt_kallsyms_scan_result *result);

#endif
