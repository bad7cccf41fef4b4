// SPDX-License-Identifier: MIT
/*
 * SLUB's caches and their counts, as /sys/kernel/slab and crash's kmem -s
 * count them: every kmem_cache on slab_caches; its slabs and objects are
 * the nodes' nr_slabs and total_objects (CONFIG_SLUB_DEBUG keeps them);
 * the free objects are those of each CPU's slab (objects - inuse, plus the
 * CPU's lockless freelist), of each CPU's partial slabs and of the nodes'
 * partial lists.  Full slabs have none.  Since 5.17 a slab is a struct slab
 * overlaying struct page; before, the struct page itself: the same member
 * names in both, so the type is chosen by whether "struct slab" exists.
 * With CONFIG_SLAB_FREELIST_HARDENED a free pointer is stored as
 * ptr ^ cache->random ^ swab(where it is stored).
 */
#include <byteswap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* A slab holds at most this many objects (slab->objects is 15 bits). */
#define MAX_SLAB_OBJECTS 32768
/* A CPU's partial list holds a few slabs (cpu_partial_slabs): a longer
 * chain is a loop or garbage, and the counts are then partial. */
#define MAX_PARTIAL_SLABS 4096

struct slab_reader {
	struct kt_kernel *kernel;
	const char *slab_type;   /* "struct slab" or "struct page" */
	bool hardened;           /* kmem_cache.random exists */
};

/* objects - inuse of one slab; false when it cannot be read or is absurd. */
static bool slab_free(const struct slab_reader *r, uint64_t slab, uint64_t *free)
{
	uint64_t objects, inuse;
	if (!kt_try_member(r->kernel, slab, r->slab_type, "objects", &objects) ||
	    !kt_try_member(r->kernel, slab, r->slab_type, "inuse", &inuse) ||
	    inuse > objects)
		return false;
	*free = objects - inuse;
	return true;
}

/* The length of a free list, each pointer decoded; bounded and loop-safe. */
static uint64_t freelist_length(const struct slab_reader *r, uint64_t cache,
				uint64_t head, bool *damaged)
{
	uint64_t offset = 0, random = 0, count = 0;
	if (!kt_try_member(r->kernel, cache, "struct kmem_cache", "offset", &offset) ||
	    (r->hardened && !kt_try_member(r->kernel, cache, "struct kmem_cache", "random", &random))) {
		*damaged = true;
		return 0;
	}
	for (uint64_t p = head; p; count++) {
		uint64_t stored;
		if (count >= MAX_SLAB_OBJECTS) {
			*damaged = true; /* a loop, or not a free list */
			break;
		}
		struct kt_error *err = kt_kernel_read_u64(r->kernel, p + offset, &stored);
		if (err) {
			kt_error_free(err);
			*damaged = true;
			return count + 1;
		}
		p = r->hardened ? stored ^ random ^ bswap_64(p + offset) : stored;
	}
	return count;
}

/* One CPU's slab, its freelist and its partial slabs: free objects. */
static uint64_t cpu_free(const struct slab_reader *r, uint64_t cache,
			 unsigned cpu, bool *damaged)
{
	struct kt_kernel *k = r->kernel;
	uint64_t percpu, c, slab = 0, freelist = 0, partial = 0, free = 0, n;
	if (!kt_try_member(k, cache, "struct kmem_cache", "cpu_slab", &percpu) || !percpu)
		return 0;
	struct kt_error *err = kt_kernel_per_cpu(k, percpu, cpu, &c);
	if (err) {
		kt_error_free(err);
		*damaged = true;
		return 0;
	}
	const char *slab_member = kt_type_has_member(k, "struct kmem_cache_cpu", "slab")
					  ? "slab" : "page";
	kt_try_member(k, c, "struct kmem_cache_cpu", slab_member, &slab);
	kt_try_member(k, c, "struct kmem_cache_cpu", "freelist", &freelist);
	if (slab && slab_free(r, slab, &n))
		free += n;
	else if (slab)
		*damaged = true;
	free += freelist_length(r, cache, freelist, damaged);
	if (!kt_type_has_member(k, "struct kmem_cache_cpu", "partial"))
		return free;
	kt_try_member(k, c, "struct kmem_cache_cpu", "partial", &partial);
	size_t i;
	for (i = 0; partial && i < MAX_PARTIAL_SLABS; i++) {
		if (!slab_free(r, partial, &n) ||
		    !kt_try_member(k, partial, r->slab_type, "next", &partial)) {
			*damaged = true;
			break;
		}
		free += n;
	}
	if (partial && i == MAX_PARTIAL_SLABS)
		*damaged = true;
	return free;
}

struct node_counts {
	uint64_t slabs, objects, free;
};

/* A node's slabs and objects, and the free objects of its partial slabs. */
static void node_counts(const struct slab_reader *r, uint64_t node,
			struct node_counts *out, bool *damaged)
{
	struct kt_kernel *k = r->kernel;
	uint64_t slabs, objects, list_offset, head_offset, n;
	const char *list = kt_type_has_member(k, r->slab_type, "slab_list")
				   ? "slab_list" : "lru";
	struct kt_error *err = kt_type_offsetof(k, r->slab_type, list, &list_offset);
	if (!err)
		err = kt_type_offsetof(k, "struct kmem_cache_node", "partial", &head_offset);
	if (err || !kt_try_member(k, node, "struct kmem_cache_node", "nr_slabs.counter", &slabs) ||
	    !kt_try_member(k, node, "struct kmem_cache_node", "total_objects.counter", &objects)) {
		kt_error_free(err);
		*damaged = true;
		return;
	}
	out->slabs += slabs;
	out->objects += objects;
	struct kt_list_walk walk;
	kt_list_walk_kernel(&walk, k, node + head_offset);
	uint64_t entry;
	while (!(err = kt_list_walk_next(&walk, &entry)) && entry) {
		if (!slab_free(r, entry - list_offset, &n)) {
			*damaged = true;
			break;
		}
		out->free += n;
	}
	if (err) {
		kt_error_free(err);
		*damaged = true;
	}
	kt_list_walk_destroy(&walk);
}

static void cache_counts(const struct slab_reader *r, struct kt_slab_cache *c)
{
	struct kt_kernel *k = r->kernel;
	struct node_counts counts = { 0 };
	struct kt_member nodes;
	struct kt_error *err = kt_type_member(k, "struct kmem_cache", "node", &nodes);
	if (err) {
		kt_error_free(err);
		c->partial = true;
		return;
	}
	/* The array is allocated for nr_node_ids nodes, not MAX_NUMNODES. */
	uint64_t nr_nodes = 1, symbol;
	uint32_t value;
	err = kt_symbol_address(k, "nr_node_ids", &symbol);
	if (!err)
		err = kt_kernel_read_u32(k, symbol, &value);
	if (!err && value >= 1 && value <= nodes.size / 8)
		nr_nodes = value;
	kt_error_free(err);
	for (uint64_t i = 0; i < nr_nodes; i++) {
		uint64_t node;
		struct kt_error *e = kt_kernel_read_u64(k, c->address + nodes.bit_offset / 8 + i * 8, &node);
		kt_error_free(e);
		if (!e && node)
			node_counts(r, node, &counts, &c->partial);
	}
	unsigned cpus = kt_kernel_nr_cpus(k);
	for (unsigned cpu = 0; cpu < cpus; cpu++)
		counts.free += cpu_free(r, c->address, cpu, &c->partial);
	c->slabs = counts.slabs;
	c->total = counts.objects;
	c->allocated = counts.objects > counts.free ? counts.objects - counts.free : 0;
}

static struct kt_error *read_cache(const struct slab_reader *r, uint64_t address,
				   struct kt_slab_cache *c)
{
	struct kt_kernel *k = r->kernel;
	uint64_t name = 0, oo = 0;
	memset(c, 0, sizeof(*c));
	c->address = address;
	if (!kt_try_member(k, address, "struct kmem_cache", "object_size", &c->object_size) ||
	    !kt_try_member(k, address, "struct kmem_cache", "size", &c->size) ||
	    !kt_try_member(k, address, "struct kmem_cache", "oo.x", &oo) ||
	    !kt_try_member(k, address, "struct kmem_cache", "name", &name))
		return kt_error_create(KT_ERR_INVALID,
				       "kmem_cache at 0x%llx cannot be read",
				       (unsigned long long)address);
	/* oo: the order above 16 bits, objects per slab below. */
	c->slab_size = (uint64_t)k->page_size << ((oo >> 16) & 31);
	struct kt_error *err = kt_kernel_read_string(k, name, c->name, sizeof(c->name));
	if (err) {
		kt_error_free(err);
		snprintf(c->name, sizeof(c->name), "(unknown)");
	}
	cache_counts(r, c);
	return NULL;
}

static struct kt_error *push_cache(struct kt_slab_cache **caches, size_t *count,
				   size_t *capacity, const struct kt_slab_cache *c)
{
	if (*count == *capacity) {
		size_t n = *capacity ? *capacity * 2 : 64;
		struct kt_slab_cache *grown = realloc(*caches, n * sizeof(*grown));
		if (!grown)
			return &kt_error_out_of_memory;
		*caches = grown;
		*capacity = n;
	}
	(*caches)[(*count)++] = *c;
	return NULL;
}

struct kt_error *kt_slab_caches(struct kt_kernel *k, struct kt_slab_cache **caches,
				size_t *count)
{
	uint64_t head, list_offset;
	struct kt_error *err = kt_symbol_address(k, "slab_caches", &head);
	if (!err)
		err = kt_type_offsetof(k, "struct kmem_cache", "list", &list_offset);
	if (err)
		return kt_error_wrap(err, "slab caches (SLUB)");
	struct slab_reader r = {
		.kernel = k,
		.slab_type = kt_type_has_member(k, "struct slab", "objects") ? "struct slab"
									  : "struct page",
		.hardened = kt_type_has_member(k, "struct kmem_cache", "random"),
	};
	*caches = NULL;
	*count = 0;
	size_t capacity = 0;
	struct kt_list_walk walk;
	kt_list_walk_kernel(&walk, k, head);
	uint64_t entry;
	while (!(err = kt_list_walk_next(&walk, &entry)) && entry) {
		struct kt_slab_cache c;
		err = read_cache(&r, entry - list_offset, &c);
		if (!err)
			err = push_cache(caches, count, &capacity, &c);
		if (err)
			break;
	}
	kt_list_walk_destroy(&walk);
	if (err && *count) {
		kt_kernel_warn(k, "slab_caches: %s; the list is cut short", kt_error_string(err));
		kt_error_free(err);
		(*caches)[*count - 1].partial = true;
		err = NULL;
	}
	if (err) {
		free(*caches);
		*caches = NULL;
	}
	return err;
}
