// SPDX-License-Identifier: MIT
/*
 * kdump-compressed dumps, as makedumpfile writes them (header versions 1-6).
 *
 *   block 0            struct disk_dump_header ("KDUMP   ")
 *   block 1..          struct kdump_sub_header (sub_hdr_size blocks)
 *   then               bitmap_blocks blocks: 1st bitmap (RAM), 2nd (dumped)
 *   then               one page_desc per dumped pfn, in pfn order
 *   then               page data; notes, VMCOREINFO and eraseinfo anywhere
 *
 * The 2nd bitmap is read on demand, a block at a time, with a rank table
 * (set bits before each block) built in one pass at open: a page's
 * descriptor index is a table lookup plus one popcount, and memory stays
 * small for any size of machine.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "ktriage/base.h"

/* disk_dump_header.status and page_desc.flags */
#define DH_COMPRESSED_ZLIB 0x1
#define DH_COMPRESSED_LZO 0x2
#define DH_COMPRESSED_SNAPPY 0x4
#define DH_COMPRESSED_INCOMPLETE 0x8
#define DH_COMPRESSED_ZSTD 0x20

#define HEADER_SIZE 464
#define SUB_HEADER_SIZE 104
#define MAX_HEADER_VERSION 6
#define BITMAP_CHUNK 4096 /* bytes of bitmap per rank entry and cache slot */
#define BITMAP_SLOTS 16
#define MAX_NOTES_SIZE (64u << 20)
#define MAX_VMCOREINFO_SIZE (1u << 20)

struct kdump_header {
	int32_t header_version;
	char release[65], machine[65];
	int64_t tv_sec;
	uint32_t status;
	int32_t block_size;
	int32_t sub_hdr_size;
	uint32_t bitmap_blocks;
	uint32_t max_mapnr;
	int32_t nr_cpus;
};

struct kdump_sub_header {
	uint64_t phys_base;
	int32_t dump_level, split;
	uint64_t start_pfn, end_pfn;
	uint64_t offset_vmcoreinfo, size_vmcoreinfo;
	uint64_t offset_note, size_note;
	uint64_t start_pfn_64, end_pfn_64, max_mapnr_64;
};

struct kdump {
	uint64_t bitmap2_off;  /* file offset of the 2nd bitmap */
	uint64_t bitmap_bytes; /* of the 2nd bitmap as stored */
	uint64_t descs_off;
	uint64_t start_pfn, end_pfn; /* the pfns this file holds */
	struct kt_rank rank;         /* set bits before each chunk (rank.c) */
	uint64_t nr_chunks;
	uint8_t *chunks;             /* BITMAP_SLOTS cached bitmap chunks */
	uint64_t chunk_tags[BITMAP_SLOTS]; /* chunk index + 1, 0 when empty */
	uint8_t *compressed;         /* one page of compressed input */
	/* Descriptors read a block at a time (desc_block_fill). */
	uint8_t desc_block[170 * KT_KDUMP_DESC_SIZE];
	uint64_t desc_block_off;
	size_t desc_block_len;
	/* makedumpfile stores every zero page as one uncompressed page that all
	 * their descriptors point to: where it is, once one was read; 0 before. */
	uint64_t zero_page_off;
	struct kt_decompressor *decompressor;
	uint64_t file_size;
};

static void parse_header(const uint8_t *b, struct kdump_header *h)
{
	h->header_version = (int32_t)kt_le32(b + 8);
	memcpy(h->release, b + 12 + 2 * 65, 65);
	h->release[64] = '\0';
	memcpy(h->machine, b + 12 + 4 * 65, 65);
	h->machine[64] = '\0';
	h->tv_sec = (int64_t)kt_le64(b + 408);
	h->status = kt_le32(b + 424);
	h->block_size = (int32_t)kt_le32(b + 428);
	h->sub_hdr_size = (int32_t)kt_le32(b + 432);
	h->bitmap_blocks = kt_le32(b + 436);
	h->max_mapnr = kt_le32(b + 440);
	h->nr_cpus = (int32_t)kt_le32(b + 460);
}

static void parse_sub_header(const uint8_t *b, struct kdump_sub_header *s)
{
	s->phys_base = kt_le64(b);
	s->dump_level = (int32_t)kt_le32(b + 8);
	s->split = (int32_t)kt_le32(b + 12);
	s->start_pfn = kt_le64(b + 16);
	s->end_pfn = kt_le64(b + 24);
	s->offset_vmcoreinfo = kt_le64(b + 32);
	s->size_vmcoreinfo = kt_le64(b + 40);
	s->offset_note = kt_le64(b + 48);
	s->size_note = kt_le64(b + 56);
	s->start_pfn_64 = kt_le64(b + 80);
	s->end_pfn_64 = kt_le64(b + 88);
	s->max_mapnr_64 = kt_le64(b + 96);
}

__attribute__((format(printf, 2, 3)))
static struct kt_error *bad(struct kt_dump *dump, const char *fmt, ...)
{
	char what[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return kt_error_create(KT_ERR_FORMAT, "%s: kdump header: %s",
			       dump->info.path, what);
}

static struct kt_error *check_header(struct kt_dump *dump,
				     const struct kdump_header *h)
{
	if (h->header_version < 0 || h->header_version > MAX_HEADER_VERSION)
		return bad(dump, "unknown header version %lld",
			   (long long)h->header_version);
	if (h->block_size < HEADER_SIZE || !kt_is_power_of_two((uint64_t)h->block_size) ||
	    h->block_size > (1 << 20))
		return bad(dump, "block size %d is not a power of two in 512..1M",
			   h->block_size);
	if (h->sub_hdr_size < 0 || h->sub_hdr_size > 1024)
		return bad(dump, "sub-header size %lld blocks is out of range",
			   (long long)h->sub_hdr_size);
	if (h->bitmap_blocks == 0 || h->bitmap_blocks % 2)
		return bad(dump, "bitmap of %u blocks cannot hold two bitmaps",
			   h->bitmap_blocks);
	return NULL;
}

/* An area the sub-header points to must lie inside the file. */
static struct kt_error *check_area(struct kt_dump *dump, const char *what,
				   uint64_t offset, uint64_t size,
				   uint64_t max_size)
{
	uint64_t file_size = kt_source_size(dump->source);
	if (size > max_size)
		return bad(dump, "%s of %llu bytes is too large", what,
			   (unsigned long long)size);
	if (offset > file_size || size > file_size - offset)
		return bad(dump, "%s at 0x%llx+%llu is past the end of the file (%llu bytes)",
			   what, (unsigned long long)offset,
			   (unsigned long long)size,
			   (unsigned long long)file_size);
	return NULL;
}

static struct kt_error *read_notes(struct kt_dump *dump,
				   const struct kdump_sub_header *s)
{
	struct kt_error *err;
	if (dump->info.header_version >= 4 && s->size_note) {
		err = check_area(dump, "note area", s->offset_note,
				 s->size_note, MAX_NOTES_SIZE);
		if (err)
			return err;
		uint8_t *blob = malloc(s->size_note);
		if (!blob)
			return &kt_error_out_of_memory;
		err = kt_source_read(dump->source, s->offset_note, blob,
				     s->size_note);
		if (err) {
			free(blob);
			return kt_error_wrap(err, "notes");
		}
		err = kt_dump_set_notes(dump, blob, s->size_note);
		if (err)
			return err;
	}
	if (dump->vmcoreinfo || dump->info.header_version < 3 ||
	    !s->size_vmcoreinfo)
		return NULL;
	err = check_area(dump, "VMCOREINFO", s->offset_vmcoreinfo,
			 s->size_vmcoreinfo, MAX_VMCOREINFO_SIZE);
	if (err)
		return err;
	char *text = malloc(s->size_vmcoreinfo);
	if (!text)
		return &kt_error_out_of_memory;
	err = kt_source_read(dump->source, s->offset_vmcoreinfo, text,
			     s->size_vmcoreinfo);
	if (!err)
		err = kt_dump_set_vmcoreinfo(dump, text, s->size_vmcoreinfo);
	free(text);
	return err ? kt_error_wrap(err, "VMCOREINFO") : NULL;
}

static unsigned compression_of(uint32_t flags)
{
	unsigned mask = 0;
	if (flags & DH_COMPRESSED_ZLIB)
		mask |= KT_COMPRESS_ZLIB;
	if (flags & DH_COMPRESSED_LZO)
		mask |= KT_COMPRESS_LZO;
	if (flags & DH_COMPRESSED_SNAPPY)
		mask |= KT_COMPRESS_SNAPPY;
	if (flags & DH_COMPRESSED_ZSTD)
		mask |= KT_COMPRESS_ZSTD;
	return mask;
}

/* The pfn range this file holds, from the newest fields its version has. */
static struct kt_error *set_pfn_range(struct kt_dump *dump, struct kdump *k,
				      const struct kdump_header *h,
				      const struct kdump_sub_header *s)
{
	uint64_t max_mapnr = h->max_mapnr;
	if (h->header_version >= 6 && s->max_mapnr_64)
		max_mapnr = s->max_mapnr_64;
	k->start_pfn = 0;
	k->end_pfn = max_mapnr;
	if (h->header_version >= 2 && s->split) {
		k->start_pfn = h->header_version >= 6 ? s->start_pfn_64 : s->start_pfn;
		k->end_pfn = h->header_version >= 6 ? s->end_pfn_64 : s->end_pfn;
		dump->info.split = true;
		dump->info.split_start_pfn = k->start_pfn;
		dump->info.split_end_pfn = k->end_pfn;
	}
	if (k->start_pfn > k->end_pfn || k->end_pfn > max_mapnr)
		return bad(dump, "split range 0x%llx-0x%llx is not inside 0-0x%llx (max_mapnr)",
			   (unsigned long long)k->start_pfn,
			   (unsigned long long)k->end_pfn,
			   (unsigned long long)max_mapnr);
	if (max_mapnr > k->bitmap_bytes * 8)
		return bad(dump, "max_mapnr 0x%llx is larger than the bitmap",
			   (unsigned long long)max_mapnr);
	dump->info.max_pfn = max_mapnr;
	return NULL;
}

/* Every x86-64 since 2008 counts bits in one instruction; without the
 * clone, each count is a call into libgcc (5 M of analyze's instructions). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("popcnt", "default")))
#endif
static uint64_t popcount_bytes(const uint8_t *p, size_t n)
{
	uint64_t count = 0;
	size_t i = 0;
	for (; i + 8 <= n; i += 8)
		count += (uint64_t)__builtin_popcountll(kt_le64(p + i));
	for (; i < n; i++)
		count += (uint64_t)__builtin_popcount(p[i]);
	return count;
}

/* Bitmap chunk `chunk`, read through the small chunk cache. */
static struct kt_error *bitmap_chunk(struct kt_dump *dump, uint64_t chunk,
				     const uint8_t **out)
{
	struct kdump *k = dump->format;
	size_t slot = chunk % BITMAP_SLOTS;
	uint8_t *buf = k->chunks + slot * BITMAP_CHUNK;
	*out = buf;
	if (k->chunk_tags[slot] == chunk + 1)
		return NULL;
	k->chunk_tags[slot] = 0;
	uint64_t off = chunk * BITMAP_CHUNK;
	size_t len = BITMAP_CHUNK;
	if (off + len > k->bitmap_bytes)
		len = (size_t)(k->bitmap_bytes - off);
	memset(buf, 0, BITMAP_CHUNK);
	struct kt_error *err = kt_source_read(dump->source,
					      k->bitmap2_off + off, buf, len);
	if (err)
		return kt_error_wrap(err, "bitmap");
	k->chunk_tags[slot] = chunk + 1;
	return NULL;
}

/* Bits of chunk `chunk` that belong to this file's [start_pfn, end_pfn). */
static uint64_t chunk_count_in_range(const struct kdump *k, uint64_t chunk,
				     const uint8_t *bits, uint64_t upto_pfn)
{
	uint64_t first = chunk * BITMAP_CHUNK * 8;
	uint64_t lo = k->start_pfn > first ? k->start_pfn - first : 0;
	uint64_t end = upto_pfn < k->end_pfn ? upto_pfn : k->end_pfn;
	uint64_t hi = end > first ? end - first : 0;
	if (hi > BITMAP_CHUNK * 8)
		hi = BITMAP_CHUNK * 8;
	uint64_t count = 0;
	uint64_t bit = lo;
	for (; bit < hi && bit % 8; bit++)
		count += (bits[bit / 8] >> (bit % 8)) & 1;
	uint64_t whole_end = hi & ~7ull;
	if (whole_end > bit) {
		count += popcount_bytes(bits + bit / 8, (whole_end - bit) / 8);
		bit = whole_end;
	}
	for (; bit < hi; bit++)
		count += (bits[bit / 8] >> (bit % 8)) & 1;
	return count;
}

/* The chunks of one data extent of the bitmap, [first, end). */
static struct kt_error *rank_chunks(struct kt_dump *dump, uint64_t first, uint64_t end)
{
	struct kdump *k = dump->format;
	for (uint64_t c = first; c < end; c++) {
		const uint8_t *bits;
		struct kt_error *err = bitmap_chunk(dump, c, &bits);
		if (err)
			return err;
		if (!kt_rank_add(&k->rank, c, chunk_count_in_range(k, c, bits, k->end_pfn)))
			return &kt_error_out_of_memory;
	}
	return NULL;
}

/*
 * Only the bitmap's data extents are read: a hole is zeros, chunks without
 * a page.  What a sparse file claims costs nothing; what it stores, its size.
 */
static struct kt_error *build_rank(struct kt_dump *dump)
{
	struct kdump *k = dump->format;
	k->nr_chunks = (k->end_pfn + BITMAP_CHUNK * 8 - 1) / (BITMAP_CHUNK * 8);
	k->chunks = malloc(BITMAP_SLOTS * BITMAP_CHUNK);
	if (!k->chunks)
		return &kt_error_out_of_memory;
	uint64_t first = k->start_pfn / (BITMAP_CHUNK * 8) * BITMAP_CHUNK;
	uint64_t last = k->nr_chunks * BITMAP_CHUNK;
	if (last > k->bitmap_bytes)
		last = k->bitmap_bytes;
	for (uint64_t off = first; off < last;) {
		uint64_t data = kt_source_next_data(dump->source, k->bitmap2_off + off,
						    k->bitmap2_off + last) - k->bitmap2_off;
		if (data >= last)
			break;
		uint64_t hole = kt_source_data_end(dump->source, k->bitmap2_off + data,
						   k->bitmap2_off + last) - k->bitmap2_off;
		uint64_t from = data / BITMAP_CHUNK, to = (hole + BITMAP_CHUNK - 1) / BITMAP_CHUNK;
		struct kt_error *err = rank_chunks(dump, from > off / BITMAP_CHUNK ? from
						   : off / BITMAP_CHUNK, to);
		if (err)
			return err;
		off = to * BITMAP_CHUNK;
	}
	dump->info.pages_present = k->rank.total;
	return NULL;
}

static bool pfn_dumped(struct kt_dump *dump, uint64_t pfn,
		       struct kt_error **err)
{
	struct kdump *k = dump->format;
	*err = NULL;
	if (pfn < k->start_pfn || pfn >= k->end_pfn)
		return false;
	const uint8_t *bits;
	*err = bitmap_chunk(dump, pfn / (BITMAP_CHUNK * 8), &bits);
	if (*err)
		return false;
	uint64_t bit = pfn % (BITMAP_CHUNK * 8);
	return (bits[bit / 8] >> (bit % 8)) & 1;
}

/* Index of pfn's descriptor: set bits in [start_pfn, pfn). */
static struct kt_error *desc_index(struct kt_dump *dump, uint64_t pfn,
				   uint64_t *index)
{
	struct kdump *k = dump->format;
	uint64_t chunk = pfn / (BITMAP_CHUNK * 8);
	const uint8_t *bits;
	struct kt_error *err = bitmap_chunk(dump, chunk, &bits);
	if (err)
		return err;
	*index = kt_rank_before(&k->rank, chunk) + chunk_count_in_range(k, chunk, bits, pfn);
	return NULL;
}

struct page_desc {
	uint64_t offset;
	uint32_t size;
	uint32_t flags;
};

/* The descriptor at file offset off, if the block read last holds it. */
static bool desc_from_block(const struct kdump *k, uint64_t off, uint8_t *raw)
{
	if (k->desc_block_len < KT_KDUMP_DESC_SIZE || off < k->desc_block_off ||
	    off - k->desc_block_off > k->desc_block_len - KT_KDUMP_DESC_SIZE)
		return false;
	memcpy(raw, k->desc_block + (off - k->desc_block_off), KT_KDUMP_DESC_SIZE);
	return true;
}

/*
 * Pages are mostly read in address order and their descriptors follow pfn
 * order, so one read of the descriptors from off on serves the next pages
 * (a read per page was half of dmesg's system calls).  A block the source
 * cannot give whole is not kept: the exact read then says what is wrong.
 */
static void desc_block_fill(struct kt_dump *dump, uint64_t off)
{
	struct kdump *k = dump->format;
	uint64_t size = kt_source_size(dump->source);
	k->desc_block_len = 0;
	if (off >= size)
		return;
	size_t len = size - off < sizeof(k->desc_block) ? (size_t)(size - off)
						       : sizeof(k->desc_block);
	struct kt_error *err = kt_source_read(dump->source, off, k->desc_block, len);
	if (err) {
		kt_error_free(err);
		return;
	}
	k->desc_block_off = off;
	k->desc_block_len = len;
}

static struct kt_error *read_desc(struct kt_dump *dump, uint64_t pfn,
				  struct page_desc *pd)
{
	struct kdump *k = dump->format;
	uint64_t index;
	struct kt_error *err = desc_index(dump, pfn, &index);
	if (err)
		return err;
	uint8_t raw[KT_KDUMP_DESC_SIZE];
	uint64_t off = k->descs_off + index * KT_KDUMP_DESC_SIZE;
	if (!desc_from_block(k, off, raw))
		desc_block_fill(dump, off);
	if (!desc_from_block(k, off, raw))
		err = kt_source_read(dump->source, off, raw, sizeof(raw));
	if (err) {
		enum kt_error_code code = err->code;
		kt_error_free(err);
		return kt_error_create(code,
				       "%s: page 0x%llx: descriptor %llu is past the end of the file",
				       dump->info.path, (unsigned long long)pfn,
				       (unsigned long long)index);
	}
	pd->offset = kt_le64(raw);
	pd->size = kt_le32(raw + 8);
	pd->flags = kt_le32(raw + 12);
	return NULL;
}

static struct kt_error *check_desc(struct kt_dump *dump, uint64_t pfn,
				   const struct page_desc *pd)
{
	struct kdump *k = dump->format;
	const char *path = dump->info.path;
	unsigned long long p = pfn;
	/* An incomplete dump leaves the descriptors it never wrote zeroed. */
	if (pd->offset == 0 && pd->size == 0)
		return kt_error_create(KT_ERR_MISSING,
				       "%s: page 0x%llx: never written (dump incomplete)",
				       path, p);
	if (pd->size == 0 || pd->size > dump->info.page_size)
		return kt_error_create(KT_ERR_CORRUPT,
				       "%s: page 0x%llx: stored size %u is larger than the page (%u)",
				       path, p, pd->size, dump->info.page_size);
	unsigned method = compression_of(pd->flags);
	if (method & (method - 1))
		return kt_error_create(KT_ERR_CORRUPT,
				       "%s: page 0x%llx: flags 0x%x name several compressions",
				       path, p, pd->flags);
	if (!method && pd->size != dump->info.page_size)
		return kt_error_create(KT_ERR_CORRUPT,
				       "%s: page 0x%llx: uncompressed page of %u bytes",
				       path, p, pd->size);
	if (pd->offset < k->descs_off ||
	    pd->offset > UINT64_MAX - pd->size)
		return kt_error_create(KT_ERR_CORRUPT,
				       "%s: page 0x%llx: data offset 0x%llx is inside the headers",
				       path, p, (unsigned long long)pd->offset);
	if (!kt_source_covers(dump->source, pd->offset, pd->size))
		return kt_error_create(KT_ERR_MISSING,
				       "%s: page 0x%llx: data at 0x%llx is past the end of the file (truncated)",
				       path, p, (unsigned long long)pd->offset);
	return NULL;
}

static enum kt_page_status kdump_page_status(struct kt_dump *dump,
					     uint64_t pfn)
{
	struct kt_error *err;
	if (!pfn_dumped(dump, pfn, &err)) {
		enum kt_page_status st = err ? KT_PAGE_MISSING : KT_PAGE_EXCLUDED;
		kt_error_free(err);
		return st;
	}
	struct page_desc pd;
	err = read_desc(dump, pfn, &pd);
	if (!err)
		err = check_desc(dump, pfn, &pd);
	if (!err)
		return KT_PAGE_PRESENT;
	enum kt_page_status st = err->code == KT_ERR_CORRUPT ? KT_PAGE_CORRUPT
							     : KT_PAGE_MISSING;
	kt_error_free(err);
	return st;
}

static bool all_zero(const uint8_t *p, size_t size)
{
	return size && p[0] == 0 && memcmp(p, p + 1, size - 1) == 0;
}

static struct kt_error *kdump_read_page(struct kt_dump *dump, uint64_t pfn,
					void *buf)
{
	struct kdump *k = dump->format;
	struct kt_error *err;
	if (!pfn_dumped(dump, pfn, &err)) {
		if (err)
			return err;
		return kt_error_create(KT_ERR_EXCLUDED,
				       "%s: page 0x%llx: excluded from the dump (dump level %d)",
				       dump->info.path, (unsigned long long)pfn,
				       dump->info.dump_level);
	}
	struct page_desc pd;
	err = read_desc(dump, pfn, &pd);
	if (!err)
		err = check_desc(dump, pfn, &pd);
	if (err)
		return err;
	unsigned method = compression_of(pd.flags);
	if (!method && k->zero_page_off && pd.offset == k->zero_page_off) {
		memset(buf, 0, pd.size); /* the same bytes of the file, read before */
		return NULL;
	}
	void *dst = method ? k->compressed : buf;
	err = kt_source_read(dump->source, pd.offset, dst, pd.size);
	if (err)
		return kt_error_wrap(err, "page 0x%llx", (unsigned long long)pfn);
	if (!method && !k->zero_page_off && all_zero(buf, pd.size))
		k->zero_page_off = pd.offset;
	if (!method)
		return NULL;
	err = kt_decompress_page(k->decompressor, method, k->compressed, pd.size, buf,
				 dump->info.page_size);
	if (err)
		return kt_error_wrap(err, "%s: page 0x%llx", dump->info.path,
				     (unsigned long long)pfn);
	return NULL;
}

static bool kdump_next_range(struct kt_dump *dump, uint64_t pfn,
			     uint64_t *start, uint64_t *end)
{
	struct kdump *k = dump->format;
	if (pfn < k->start_pfn)
		pfn = k->start_pfn;
	struct kt_error *err = NULL;
	/* Skip whole empty chunks by their rank, then bits one by one. */
	while (pfn < k->end_pfn) {
		uint64_t chunk = pfn / (BITMAP_CHUNK * 8);
		uint64_t busy = kt_rank_next_busy(&k->rank, chunk);
		if (busy != chunk) {
			pfn = busy < k->nr_chunks ? busy * BITMAP_CHUNK * 8 : k->end_pfn;
			continue;
		}
		if (pfn_dumped(dump, pfn, &err))
			break;
		if (err)
			break;
		pfn++;
	}
	if (err || pfn >= k->end_pfn) {
		kt_error_free(err);
		return false;
	}
	*start = pfn;
	while (pfn < k->end_pfn && pfn_dumped(dump, pfn, &err))
		pfn++;
	kt_error_free(err);
	*end = pfn;
	return true;
}

static struct kt_error *open_layout(struct kt_dump *dump, struct kdump *k,
				    const struct kdump_header *h)
{
	uint64_t bs = (uint64_t)h->block_size;
	uint64_t bitmap_off = (1 + (uint64_t)h->sub_hdr_size) * bs;
	k->bitmap_bytes = (uint64_t)h->bitmap_blocks * bs / 2;
	k->bitmap2_off = bitmap_off + k->bitmap_bytes;
	k->descs_off = bitmap_off + (uint64_t)h->bitmap_blocks * bs;
	k->file_size = kt_source_size(dump->source);
	if (k->descs_off > k->file_size)
		return kt_error_create(KT_ERR_FORMAT,
				       "%s: kdump header: bitmaps end at 0x%llx, past the end of the file (%llu bytes)",
				       dump->info.path,
				       (unsigned long long)k->descs_off,
				       (unsigned long long)k->file_size);
	return NULL;
}

static struct kt_error *read_sub_header(struct kt_dump *dump,
					const struct kdump_header *h,
					struct kdump_sub_header *s)
{
	memset(s, 0, sizeof(*s));
	if (h->header_version < 1 || h->sub_hdr_size < 1)
		return NULL;
	uint8_t raw[SUB_HEADER_SIZE] = { 0 };
	size_t len = SUB_HEADER_SIZE;
	if ((uint64_t)h->sub_hdr_size * (uint64_t)h->block_size < len)
		len = (size_t)h->sub_hdr_size * (size_t)h->block_size;
	struct kt_error *err = kt_source_read(dump->source,
					      (uint64_t)h->block_size, raw, len);
	if (err)
		return kt_error_wrap(err, "sub-header");
	parse_sub_header(raw, s);
	return NULL;
}

static struct kt_error *kdump_open(struct kt_dump *dump)
{
	uint8_t raw[HEADER_SIZE];
	struct kt_error *err = kt_source_read(dump->source, 0, raw, sizeof(raw));
	if (err)
		return kt_error_wrap(err, "kdump header");
	struct kdump_header h;
	parse_header(raw, &h);
	err = check_header(dump, &h);
	if (err)
		return err;
	struct kdump *k = calloc(1, sizeof(*k));
	if (!k)
		return &kt_error_out_of_memory;
	dump->format = k;
	struct kdump_sub_header s;
	err = read_sub_header(dump, &h, &s);
	if (!err)
		err = open_layout(dump, k, &h);
	if (!err)
		err = set_pfn_range(dump, k, &h, &s);
	if (err)
		return err;

	struct kt_dump_info *info = &dump->info;
	info->header_version = h.header_version;
	info->page_size = (uint32_t)h.block_size;
	info->dump_level = h.header_version >= 1 ? s.dump_level : -1;
	info->compression = compression_of(h.status);
	if (!info->compression) /* makedumpfile without -c/-l/-p/-z */
		info->compression = KT_COMPRESS_NONE;
	info->incomplete = h.status & DH_COMPRESSED_INCOMPLETE;
	info->timestamp = h.tv_sec;
	info->nr_cpus = h.nr_cpus;
	memcpy(info->utsname_release, h.release, sizeof(h.release));
	memcpy(info->utsname_machine, h.machine, sizeof(h.machine));
	k->compressed = malloc(info->page_size);
	k->decompressor = kt_decompressor_create();
	if (!k->compressed || !k->decompressor)
		return &kt_error_out_of_memory;
	err = read_notes(dump, &s);
	if (!err)
		err = build_rank(dump);
	return err ? err : kt_kdump_count_missing(dump, k->descs_off);
}

static void kdump_close(struct kt_dump *dump)
{
	struct kdump *k = dump->format;
	if (!k)
		return;
	kt_rank_free(&k->rank);
	free(k->chunks);
	free(k->compressed);
	kt_decompressor_destroy(k->decompressor);
	free(k);
	dump->format = NULL;
}

const struct kt_dump_ops kt_kdump_ops = {
	.name = "kdump",
	.open = kdump_open,
	.page_status = kdump_page_status,
	.read_page = kdump_read_page,
	.next_range = kdump_next_range,
	.close = kdump_close,
};
