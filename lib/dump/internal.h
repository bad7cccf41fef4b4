/* SPDX-License-Identifier: MIT */
/* What the dump reader's format back-ends share; not a public header. */
#ifndef KTRIAGE_DUMP_INTERNAL_H
#define KTRIAGE_DUMP_INTERNAL_H

#include "ktriage/dump.h"

/*
 * The bytes of a dump file.  A plain file is read with pread; a flattened
 * stream (makedumpfile -F) is read in place through an index of its records,
 * so the format back-ends see the file it describes.
 */
struct kt_source;

struct kt_error *kt_source_open_file(const char *path, struct kt_source **out);
/* The same over a descriptor already open; takes it on success. */
struct kt_error *kt_source_open_fd(int fd, const char *path, struct kt_source **out);
/* Wrap a flattened stream; on success takes over the plain source. */
struct kt_error *kt_source_open_flattened(struct kt_source *file,
					  struct kt_source **out);
bool kt_source_is_flattened_stream(struct kt_source *src);
void kt_source_close(struct kt_source *src);
uint64_t kt_source_size(const struct kt_source *src);
const char *kt_source_path(const struct kt_source *src);
int kt_source_fd(const struct kt_source *src);
/* A flattened stream that ends before its end marker. */
bool kt_source_truncated(const struct kt_source *src);
/* Whether every byte of [off, off + len) can be read (is in the stream). */
bool kt_source_covers(const struct kt_source *src, uint64_t off, uint64_t len);
/*
 * Read exactly len bytes at off.  KT_ERR_MISSING when the source ends first
 * (the message says where), KT_ERR_IO when the system fails.
 */
struct kt_error *kt_source_read(struct kt_source *src, uint64_t off,
				void *buf, size_t len);

/*
 * The first offset at or after off, below end, where the source may hold
 * bytes other than zero: holes of a sparse file are skipped (SEEK_DATA).
 * end when there is none.
 */
uint64_t kt_source_next_data(const struct kt_source *src, uint64_t off, uint64_t end);
/* The end of the data extent at off (SEEK_HOLE), at most end. */
uint64_t kt_source_data_end(const struct kt_source *src, uint64_t off, uint64_t end);

/* A sparse rank table over bitmap chunks (rank.c): chunks added in order. */
struct kt_rank {
	uint64_t *chunks, *before; /* chunks with set bits, and the bits before each */
	size_t nr, cap;
	uint64_t total;
};
bool kt_rank_add(struct kt_rank *rank, uint64_t chunk, uint64_t bits);
/* Set bits in every chunk before chunk. */
uint64_t kt_rank_before(const struct kt_rank *rank, uint64_t chunk);
/* The first chunk >= chunk with a set bit, UINT64_MAX when none. */
uint64_t kt_rank_next_busy(const struct kt_rank *rank, uint64_t chunk);
void kt_rank_free(struct kt_rank *rank);

struct kt_dump_ops {
	const char *name;
	/* Read headers and tables; fill dump->info and the notes. */
	struct kt_error *(*open)(struct kt_dump *dump);
	enum kt_page_status (*page_status)(struct kt_dump *dump, uint64_t pfn);
	/* Decode one page (info.page_size bytes) into buf. */
	struct kt_error *(*read_page)(struct kt_dump *dump, uint64_t pfn,
				      void *buf);
	bool (*next_range)(struct kt_dump *dump, uint64_t pfn, uint64_t *start,
			   uint64_t *end);
	void (*close)(struct kt_dump *dump);
};

extern const struct kt_dump_ops kt_elf_ops;
extern const struct kt_dump_ops kt_kdump_ops;
extern const struct kt_dump_ops kt_split_set_ops;

struct kt_page_cache;

struct kt_dump {
	struct kt_dump_info info;
	struct kt_source *source;
	const struct kt_dump_ops *ops;
	void *format;          /* the back-end's own state */
	char *vmcoreinfo;      /* NUL-terminated copy */
	size_t vmcoreinfo_len;
	uint8_t *notes_blob;   /* the raw notes; kt_note fields point into it */
	size_t notes_len;
	struct kt_note *notes;
	size_t nr_notes;
	struct kt_prstatus *prstatus;
	size_t nr_prstatus;
	struct kt_page_cache *cache;
};

/* A dump with no source yet, its info set to "unknown" defaults (dump.c). */
struct kt_dump *kt_dump_alloc(const char *path);
/* Check the page size the back-end found and give the dump its cache. */
struct kt_error *kt_dump_finish_open(struct kt_dump *dump);

/* Take ownership of a raw ELF note blob and index it (notes.c). */
struct kt_error *kt_dump_set_notes(struct kt_dump *dump, uint8_t *blob,
				   size_t len);
/* Keep a NUL-terminated copy of VMCOREINFO text. */
struct kt_error *kt_dump_set_vmcoreinfo(struct kt_dump *dump, const void *text,
					size_t len);

/*
 * Page decompression (compress.c).  Exactly page_size bytes must come out.
 * A decompressor keeps decoder state between pages; one per dump.
 */
struct kt_decompressor;
struct kt_decompressor *kt_decompressor_create(void);
void kt_decompressor_destroy(struct kt_decompressor *d);
struct kt_error *kt_decompress_page(struct kt_decompressor *d,
				    enum kt_compression method,
				    const void *in, size_t in_len, void *out,
				    size_t page_size);

/* A small fixed-size cache of decoded pages (cache.c). */
struct kt_page_cache *kt_page_cache_create(size_t nr_pages, size_t page_size);
void kt_page_cache_destroy(struct kt_page_cache *cache);
/* A page in the cache, or NULL. */
const void *kt_page_cache_lookup(struct kt_page_cache *cache, uint64_t pfn);
/* The slot to decode pfn into; call kt_page_cache_commit once it is filled. */
void *kt_page_cache_slot(struct kt_page_cache *cache, uint64_t pfn);
void kt_page_cache_commit(struct kt_page_cache *cache, uint64_t pfn);

/* A kdump page descriptor: offset, size, flags, page flags (kdump.c). */
#define KT_KDUMP_DESC_SIZE 24
/*
 * Count the pages the file lost into dump->info.pages_missing (and mark it
 * truncated when the header did not say so), from the descriptor table at
 * descs_off (kdump_missing.c).
 */
struct kt_error *kt_kdump_count_missing(struct kt_dump *dump, uint64_t descs_off);

static inline bool kt_is_power_of_two(uint64_t x)
{
	return x && !(x & (x - 1));
}

#endif
