// SPDX-License-Identifier: MIT
/*
 * Decoded pages, in a small direct-mapped cache: kernel walks revisit the
 * same pages (page tables, task structs, the log) again and again, and a
 * fixed number of slots keeps memory flat whatever the dump's size.
 */
#include <stdlib.h>

#include "internal.h"

struct kt_page_cache {
	size_t nr_slots;
	size_t page_size;
	uint64_t *tags; /* pfn + 1 of the page in each slot, 0 when empty */
	uint8_t *pages;
};

struct kt_page_cache *kt_page_cache_create(size_t nr_slots, size_t page_size)
{
	struct kt_page_cache *cache = calloc(1, sizeof(*cache));
	if (!cache)
		return NULL;
	cache->nr_slots = nr_slots;
	cache->page_size = page_size;
	cache->tags = calloc(nr_slots, sizeof(*cache->tags));
	cache->pages = malloc(nr_slots * page_size);
	if (!cache->tags || !cache->pages) {
		kt_page_cache_destroy(cache);
		return NULL;
	}
	return cache;
}

void kt_page_cache_destroy(struct kt_page_cache *cache)
{
	if (!cache)
		return;
	free(cache->tags);
	free(cache->pages);
	free(cache);
}

static size_t slot_of(const struct kt_page_cache *cache, uint64_t pfn)
{
	/* Fibonacci hashing spreads strided pfns (page tables) over the slots. */
	return (size_t)((pfn * 0x9E3779B97F4A7C15ull) >> 20) % cache->nr_slots;
}

const void *kt_page_cache_lookup(struct kt_page_cache *cache, uint64_t pfn)
{
	size_t slot = slot_of(cache, pfn);
	if (cache->tags[slot] != pfn + 1)
		return NULL;
	return cache->pages + slot * cache->page_size;
}

void *kt_page_cache_slot(struct kt_page_cache *cache, uint64_t pfn)
{
	size_t slot = slot_of(cache, pfn);
	cache->tags[slot] = 0; /* invalid until committed */
	return cache->pages + slot * cache->page_size;
}

void kt_page_cache_commit(struct kt_page_cache *cache, uint64_t pfn)
{
	cache->tags[slot_of(cache, pfn)] = pfn + 1;
}
