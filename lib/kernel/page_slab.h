/* SPDX-License-Identifier: MIT */
/* Whether a struct page heads a slab (page_slab.c); not a public header. */
#ifndef KTRIAGE_KERNEL_PAGE_SLAB_H
#define KTRIAGE_KERNEL_PAGE_SLAB_H

#include "internal.h"

enum kt_page_slab_how {
	KT_PAGE_SLAB_FLAG,          /* PG_slab in page->flags (to 6.9) */
	KT_PAGE_SLAB_TYPE_CLEARED,  /* page->page_type bits cleared (6.10, 6.11) */
	KT_PAGE_SLAB_TYPE_BYTE,     /* page->page_type top byte PGTY_slab (6.12+) */
};

struct kt_page_slab {
	enum kt_page_slab_how how;
	uint64_t offset;   /* of flags or page_type in struct page */
	uint64_t flag;     /* KT_PAGE_SLAB_FLAG: the PG_slab mask */
	uint32_t mask;     /* KT_PAGE_SLAB_TYPE_CLEARED: PAGE_TYPE_BASE | PG_slab */
	uint32_t value;    /* what the masked word (or top byte) must be */
};

/* How this kernel marks slab pages, from the types. */
struct kt_error *kt_page_slab_load(struct kt_kernel *kernel, struct kt_page_slab *test);
/* Does the struct page (size bytes at page) head a slab? */
bool kt_page_slab_test(const struct kt_page_slab *test, const uint8_t *page, size_t size);

#endif
