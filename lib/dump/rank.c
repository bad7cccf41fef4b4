// SPDX-License-Identifier: MIT
/*
 * A rank table that costs nothing for empty bitmap chunks: only the chunks
 * with a set bit are listed, with the set bits before each.  A dense table
 * was sized from the header's bitmap, so a KDUMP header over a sparse 1 TB
 * file built 1 GiB of it (and read every chunk: ~27 min); this one grows
 * with the chunks that hold bits, which the file must really store.
 */
#include <stdlib.h>

#include "internal.h"

/* Index of the first listed chunk >= chunk (nr when none). */
static size_t lower_bound(const struct kt_rank *rank, uint64_t chunk)
{
	size_t lo = 0, hi = rank->nr;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (rank->chunks[mid] < chunk)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool kt_rank_add(struct kt_rank *rank, uint64_t chunk, uint64_t bits)
{
	if (!bits)
		return true;
	if (rank->nr == rank->cap) {
		size_t cap = rank->cap ? rank->cap * 2 : 64;
		uint64_t *c = realloc(rank->chunks, cap * sizeof(*c));
		if (c)
			rank->chunks = c;
		uint64_t *b = c ? realloc(rank->before, cap * sizeof(*b)) : NULL;
		if (!b)
			return false;
		rank->before = b;
		rank->cap = cap;
	}
	rank->chunks[rank->nr] = chunk;
	rank->before[rank->nr] = rank->total;
	rank->nr++;
	rank->total += bits;
	return true;
}

uint64_t kt_rank_before(const struct kt_rank *rank, uint64_t chunk)
{
	size_t i = lower_bound(rank, chunk);
	return i < rank->nr ? rank->before[i] : rank->total;
}

uint64_t kt_rank_next_busy(const struct kt_rank *rank, uint64_t chunk)
{
	size_t i = lower_bound(rank, chunk);
	return i < rank->nr ? rank->chunks[i] : UINT64_MAX;
}

void kt_rank_free(struct kt_rank *rank)
{
	free(rank->chunks);
	free(rank->before);
	*rank = (struct kt_rank){ 0 };
}
