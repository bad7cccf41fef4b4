// SPDX-License-Identifier: MIT
/*
 * How many pages a kdump file lost: a descriptor never written (makedumpfile
 * ran out of space) or pointing past the end of a cut file.  Kept apart from
 * the reader (kdump.c) because it reads the descriptor table as a whole,
 * once, at open, and only a damaged dump pays for more than its tail.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "ktriage/base.h"

static bool desc_lost(struct kt_dump *dump, const uint8_t *raw)
{
	uint64_t offset = kt_le64(raw);
	uint32_t size = kt_le32(raw + 8);
	if (offset == 0 && size == 0)
		return true; /* never written: makedumpfile ran out of space */
	return !kt_source_covers(dump->source, offset, size);
}

enum { DESCS_PER_READ = 2730 }; /* 64 KiB of descriptors */

/* Descriptors [first, first + n) into buf; false if any is not in the file. */
static bool read_descs(struct kt_dump *dump, uint64_t descs_off, uint64_t first,
		       uint64_t n, uint8_t *buf)
{
	struct kt_error *err = kt_source_read(dump->source,
					      descs_off + first * KT_KDUMP_DESC_SIZE,
					      buf, (size_t)n * KT_KDUMP_DESC_SIZE);
	kt_error_free(err);
	return !err;
}

/*
 * Whether a dump that is neither flagged nor cut inside its descriptor
 * table still has all its data.  makedumpfile writes page data in pfn
 * order, except that every zero page shares one copy near the start, so
 * the last descriptor that is not a trailing run of shared ones holds the
 * data that ends last.  Walk back over that run, a chunk at a time.
 */
static bool data_looks_whole(struct kt_dump *dump, uint64_t descs_off,
			     uint64_t total, uint8_t *buf)
{
	if (total == 0)
		return true;
	uint8_t last[KT_KDUMP_DESC_SIZE];
	if (!read_descs(dump, descs_off, total - 1, 1, last) || desc_lost(dump, last))
		return false;
	for (uint64_t end = total; end > 0;) {
		uint64_t n = end < DESCS_PER_READ ? end : DESCS_PER_READ;
		end -= n;
		if (!read_descs(dump, descs_off, end, n, buf))
			return false;
		for (uint64_t j = n; j-- > 0;) {
			const uint8_t *d = buf + j * KT_KDUMP_DESC_SIZE;
			if (memcmp(d, last, 12) != 0) /* offset and size */
				return !desc_lost(dump, d);
		}
	}
	return true;
}

/* Lost pages among descriptors [first, first + n), one by one if need be. */
static uint64_t count_lost(struct kt_dump *dump, uint64_t descs_off, uint64_t first,
			   uint64_t n, uint8_t *buf)
{
	uint64_t lost = 0;
	if (read_descs(dump, descs_off, first, n, buf)) {
		for (uint64_t j = 0; j < n; j++)
			lost += desc_lost(dump, buf + j * KT_KDUMP_DESC_SIZE);
		return lost;
	}
	/* Part of the chunk is gone: those past the end need no read (a
	 * failed read makes an error message, and a big dump cut early has
	 * millions of descriptors past the end). */
	for (uint64_t j = 0; j < n; j++)
		lost += !kt_source_covers(dump->source,
					  descs_off + (first + j) * KT_KDUMP_DESC_SIZE,
					  KT_KDUMP_DESC_SIZE) ||
			!read_descs(dump, descs_off, first + j, 1, buf) || desc_lost(dump, buf);
	return lost;
}

/*
 * Pages whose descriptor or data the file lost.  An intact dump is known
 * from the tail of its descriptor table; only a damaged one pays for a
 * scan of the whole table, read in large sequential chunks.
 */
struct kt_error *kt_kdump_count_missing(struct kt_dump *dump, uint64_t descs_off)
{
	uint64_t total = dump->info.pages_present;
	uint8_t *buf = malloc(DESCS_PER_READ * KT_KDUMP_DESC_SIZE);
	if (!buf)
		return &kt_error_out_of_memory;
	if (!dump->info.incomplete && !kt_source_truncated(dump->source) &&
	    data_looks_whole(dump, descs_off, total, buf)) {
		free(buf);
		return NULL;
	}
	/* Descriptors past the end of the file, or in a hole, are lost without
	 * a read: a sparse file costs its stored bytes, not its size. */
	uint64_t size = kt_source_size(dump->source);
	uint64_t in_file = size > descs_off ? (size - descs_off) / KT_KDUMP_DESC_SIZE : 0;
	uint64_t lost = total > in_file ? total - in_file : 0;
	uint64_t readable = total < in_file ? total : in_file;
	for (uint64_t i = 0; i < readable;) {
		uint64_t at = descs_off + i * KT_KDUMP_DESC_SIZE;
		uint64_t data = kt_source_next_data(dump->source, at, size);
		if (data - at >= KT_KDUMP_DESC_SIZE) {
			uint64_t skip = (data - at) / KT_KDUMP_DESC_SIZE;
			if (skip > readable - i)
				skip = readable - i;
			lost += skip;
			i += skip;
			continue;
		}
		uint64_t n = readable - i < DESCS_PER_READ ? readable - i : DESCS_PER_READ;
		lost += count_lost(dump, descs_off, i, n, buf);
		i += n;
	}
	free(buf);
	dump->info.pages_missing = lost;
	if (lost && !dump->info.incomplete)
		dump->info.truncated = true;
	return NULL;
}
