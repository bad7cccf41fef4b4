/* SPDX-License-Identifier: MIT */
/* Counting struct pages (mem_map.c), for the memory summary; not public. */
#ifndef KTRIAGE_KERNEL_MEM_MAP_H
#define KTRIAGE_KERNEL_MEM_MAP_H

#include "internal.h"

/* What a walk of every struct page of every present section tallies. */
struct kt_page_counts {
	uint64_t pages;      /* struct pages visited */
	uint64_t unreadable; /* of those, in mem_map pages the dump lacks */
	uint64_t reserved;   /* PG_reserved */
	uint64_t shared;     /* not reserved, _refcount > 1 (crash's SHARED) */
	uint64_t slab;       /* PG_slab: slab head pages */
};

struct kt_error *kt_mem_map_count(struct kt_kernel *kernel,
				  struct kt_page_counts *counts);

#endif
