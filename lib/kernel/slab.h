/* SPDX-License-Identifier: MIT */
/* Which slab object holds an address (slab.c); not a public header. */
#ifndef KTRIAGE_KERNEL_SLAB_H
#define KTRIAGE_KERNEL_SLAB_H

#include "internal.h"

struct kt_slab_object {
	char cache[64];      /* the kmem_cache's name: "mm_struct", "kmalloc-512" */
	uint64_t object;     /* where the object containing the address starts */
	uint64_t offset;     /* address - object */
	uint64_t size;       /* the cache's object_size */
	uint64_t kmem_cache; /* the struct kmem_cache */
	uint64_t slab;       /* the slab's head struct page (struct slab) */
	uint64_t memory;     /* where the slab's memory starts */
};

/*
 * The slab object a direct-map address lies in, from its struct page
 * (PG_slab, slab_cache): false when the address is not in a slab page or
 * the memory map cannot be read.
 */
bool kt_slab_object_at(struct kt_kernel *kernel, uint64_t address,
		       struct kt_slab_object *out);

#endif
