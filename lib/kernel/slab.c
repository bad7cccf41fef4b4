// SPDX-License-Identifier: MIT
/*
 * The slab object an address lies in, so a lock in the heap can be named
 * "mm_struct+0x78" rather than by a bare address.  With SPARSEMEM_VMEMMAP
 * the struct page of a pfn is vmemmap_base + pfn * sizeof(struct page); a
 * tail page points at its head (compound_head, bit 0 set); a slab's head
 * page is marked a slab (page_slab.c) and, since 5.17 read as struct slab, its slab_cache.
 * SLUB lays objects out from the slab's first byte, size bytes apart,
 * after red_left_pad when red zoning is on.
 */
#include <stdio.h>
#include <string.h>

#include "page_slab.h"
#include "slab.h"

/* A kmem_cache larger than this is not one. */
#define MAX_OBJECT_SIZE (64ull << 20)

/* The head struct page of the page holding a direct-map address. */
static bool head_page(struct kt_kernel *k, uint64_t address, uint64_t *vmemmap,
		      uint64_t *head)
{
	uint64_t paddr, symbol, page_size;
	struct kt_error *err = kt_kernel_translate(k, address, &paddr);
	if (err) {
		kt_error_free(err);
		return false;
	}
	if (kt_kernel_phys_to_virt(k, paddr) != address)
		return false; /* not the direct map: vmalloc, module, image */
	err = kt_symbol_address(k, "vmemmap_base", &symbol);
	if (!err)
		err = kt_type_sizeof(k, "struct page", &page_size);
	if (err) {
		kt_error_free(err);
		return false;
	}
	uint64_t compound;
	if (!kt_try_read_u64(k, symbol, vmemmap))
		return false;
	uint64_t page = *vmemmap + paddr / k->page_size * page_size;
	if (!kt_try_member(k, page, "struct page", "compound_head", &compound))
		return false;
	*head = compound & 1 ? compound - 1 : page;
	return true;
}

static bool is_slab(struct kt_kernel *k, uint64_t head)
{
	struct kt_page_slab test;
	uint8_t page[256];
	struct kt_error *err = kt_page_slab_load(k, &test);
	if (!err && test.offset + 8 > sizeof(page))
		return false;
	if (!err)
		err = kt_kernel_read(k, head, page, (size_t)test.offset + 8);
	kt_error_free(err);
	return !err && kt_page_slab_test(&test, page, (size_t)test.offset + 8);
}

static bool slab_cache(struct kt_kernel *k, uint64_t head, uint64_t *cache)
{
	if (kt_type_has_member(k, "struct slab", "slab_cache"))
		return kt_try_member(k, head, "struct slab", "slab_cache", cache);
	return kt_try_member(k, head, "struct page", "slab_cache", cache);
}

bool kt_slab_object_at(struct kt_kernel *k, uint64_t address,
		       struct kt_slab_object *out)
{
	uint64_t vmemmap, head, cache, name, size, object_size, pad = 0, page_size;
	memset(out, 0, sizeof(*out));
	if (!head_page(k, address, &vmemmap, &head) || !is_slab(k, head) ||
	    !slab_cache(k, head, &cache) || !kt_kernel_is_kernel_address(k, cache) ||
	    !kt_try_member(k, cache, "struct kmem_cache", "size", &size) ||
	    !kt_try_member(k, cache, "struct kmem_cache", "object_size", &object_size) ||
	    !kt_try_member(k, cache, "struct kmem_cache", "name", &name))
		return false;
	kt_try_member(k, cache, "struct kmem_cache", "red_left_pad", &pad);
	struct kt_error *err = kt_type_sizeof(k, "struct page", &page_size);
	if (err || !size || size > MAX_OBJECT_SIZE || head < vmemmap) {
		kt_error_free(err);
		return false;
	}
	uint64_t pfn = (head - vmemmap) / page_size;
	uint64_t base = kt_kernel_phys_to_virt(k, pfn * k->page_size);
	if (address < base + pad)
		return false;
	uint64_t index = (address - base - pad) / size;
	out->object = base + pad + index * size;
	out->offset = address - out->object;
	out->size = object_size;
	out->kmem_cache = cache;
	out->slab = head;
	out->memory = base;
	err = kt_kernel_read_string(k, name, out->cache, sizeof(out->cache));
	kt_error_free(err);
	return !err && out->cache[0];
}
