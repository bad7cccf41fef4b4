// SPDX-License-Identifier: MIT
/*
 * The bytes of a dump: a plain file read with pread, or a flattened stream
 * (makedumpfile -F) read in place.  A flattened stream is a 4 KiB header and
 * then records (big-endian offset, size, data) that rebuild the real file;
 * one pass over the record headers builds an index, so nothing is copied.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define FLAT_SIGNATURE "makedumpfile"
#define FLAT_HEADER_SIZE 4096
#define FLAT_TYPE 1
#define FLAT_END (-1)
/*
 * The index costs 40 bytes a record.  makedumpfile writes a record per
 * flush of its cache (tens of KiB: 496 records averaging 32 KiB for a 16 MB
 * dump), so a stream may have 64 Ki records, or one per 4 KiB it holds:
 * tiny records cost at most 1% of the stream, not 2.35 times it.
 */
#define FLAT_MIN_RECORDS (64u << 10)
#define FLAT_BYTES_PER_RECORD 4096u

struct flat_record {
	uint64_t offset;   /* in the file the stream describes */
	uint64_t size;
	uint64_t file_off; /* of the data, in the stream */
	uint64_t seq;      /* later records overwrite earlier ones */
	uint64_t max_end;  /* highest end of this and every earlier entry */
};

struct kt_source {
	char *path;
	int fd;
	uint64_t file_size;
	uint64_t size; /* logical size: of the file, or of what a stream rebuilds */
	struct kt_source *file; /* for a flattened stream: the stream itself */
	struct flat_record *records;
	size_t nr_records;
	bool truncated; /* a flattened stream that ends before its end marker */
};

struct kt_error *kt_source_open_file(const char *path, struct kt_source **out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kt_error_create(KT_ERR_IO, "%s: %s", path, strerror(errno));
	struct kt_error *err = kt_source_open_fd(fd, path, out);
	if (err)
		close(fd);
	return err;
}

/* Takes the descriptor on success: a sandboxed worker opens nothing itself. */
struct kt_error *kt_source_open_fd(int fd, const char *path, struct kt_source **out)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return kt_error_create(KT_ERR_IO, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return kt_error_create(KT_ERR_FORMAT, "%s: not a regular file", path);
	struct kt_source *src = calloc(1, sizeof(*src));
	if (!src || !(src->path = strdup(path))) {
		free(src);
		return &kt_error_out_of_memory;
	}
	src->fd = fd;
	src->file_size = src->size = (uint64_t)st.st_size;
	*out = src;
	return NULL;
}

void kt_source_close(struct kt_source *src)
{
	if (!src)
		return;
	if (src->file)
		kt_source_close(src->file);
	else if (src->fd >= 0)
		close(src->fd);
	free(src->records);
	free(src->path);
	free(src);
}

uint64_t kt_source_size(const struct kt_source *src)
{
	return src->size;
}

const char *kt_source_path(const struct kt_source *src)
{
	return src->path;
}

bool kt_source_truncated(const struct kt_source *src)
{
	return src->truncated;
}

int kt_source_fd(const struct kt_source *src)
{
	return src->file ? src->file->fd : src->fd;
}

static struct kt_error *pread_exact(struct kt_source *src, uint64_t off,
				    void *buf, size_t len)
{
	if (off > src->file_size || len > src->file_size - off)
		return kt_error_create(KT_ERR_MISSING,
				       "%s: offset 0x%llx+%zu is past the end of the file (%llu bytes)",
				       src->path, (unsigned long long)off, len,
				       (unsigned long long)src->file_size);
	uint8_t *p = buf;
	while (len) {
		ssize_t n = pread(src->fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return kt_error_create(KT_ERR_IO, "%s: read at 0x%llx: %s",
					       src->path, (unsigned long long)off,
					       strerror(errno));
		}
		if (n == 0)
			return kt_error_create(KT_ERR_MISSING,
					       "%s: file shrank while reading at 0x%llx",
					       src->path, (unsigned long long)off);
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return NULL;
}

/* Index of the last record starting at or before off, or -1. */
static ssize_t flat_last_starting_at_or_before(const struct kt_source *src,
					       uint64_t off)
{
	size_t lo = 0, hi = src->nr_records;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (src->records[mid].offset <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (ssize_t)lo - 1;
}

/* The newest record covering off, or NULL when nothing was written there. */
static const struct flat_record *flat_find(const struct kt_source *src,
					   uint64_t off)
{
	const struct flat_record *best = NULL;
	for (ssize_t i = flat_last_starting_at_or_before(src, off); i >= 0; i--) {
		const struct flat_record *r = &src->records[i];
		if (r->max_end <= off)
			break;
		if (off < r->offset + r->size && (!best || r->seq > best->seq))
			best = r;
	}
	return best;
}

/*
 * How many bytes from off record r serves: up to its end, or up to where a
 * newer record starts over it.
 */
static uint64_t flat_run(const struct kt_source *src,
			 const struct flat_record *r, uint64_t off,
			 uint64_t len)
{
	uint64_t run = r->offset + r->size - off;
	if (run > len)
		run = len;
	size_t i = (size_t)(flat_last_starting_at_or_before(src, off) + 1);
	for (; i < src->nr_records && src->records[i].offset < off + run; i++)
		if (src->records[i].seq > r->seq && src->records[i].size)
			return src->records[i].offset - off;
	return run;
}

static struct kt_error *flat_read(struct kt_source *src, uint64_t off,
				  void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len) {
		const struct flat_record *r = flat_find(src, off);
		if (!r)
			return kt_error_create(KT_ERR_MISSING,
					       "%s: offset 0x%llx is not in the flattened stream",
					       src->path, (unsigned long long)off);
		uint64_t in = off - r->offset;
		size_t chunk = (size_t)flat_run(src, r, off, len);
		struct kt_error *err = pread_exact(src->file, r->file_off + in, p,
						   chunk);
		if (err)
			return err;
		p += chunk;
		off += chunk;
		len -= chunk;
	}
	return NULL;
}

bool kt_source_covers(const struct kt_source *src, uint64_t off, uint64_t len)
{
	if (off > src->size || len > src->size - off)
		return false;
	while (src->file && len) {
		const struct flat_record *r = flat_find(src, off);
		if (!r)
			return false;
		uint64_t chunk = r->offset + r->size - off;
		if (chunk > len)
			chunk = len;
		off += chunk;
		len -= chunk;
	}
	return true;
}

/* A plain file's extents; a flattened stream is taken as all data. */
static uint64_t seek_extent(const struct kt_source *src, uint64_t off, uint64_t end,
			    int whence)
{
	if (src->file || off >= end)
		return whence == SEEK_DATA ? (off < end ? off : end) : end;
	off_t at = lseek(src->fd, (off_t)off, whence);
	if (at < 0) /* ENXIO: no data after off; any other error: assume data */
		return errno == ENXIO && whence == SEEK_DATA ? end
		       : whence == SEEK_DATA ? off : end;
	return (uint64_t)at < end ? (uint64_t)at : end;
}

uint64_t kt_source_next_data(const struct kt_source *src, uint64_t off, uint64_t end)
{
	return seek_extent(src, off, end, SEEK_DATA);
}

uint64_t kt_source_data_end(const struct kt_source *src, uint64_t off, uint64_t end)
{
	return seek_extent(src, off, end, SEEK_HOLE);
}

struct kt_error *kt_source_read(struct kt_source *src, uint64_t off,
				void *buf, size_t len)
{
	if (src->file)
		return flat_read(src, off, buf, len);
	return pread_exact(src, off, buf, len);
}

bool kt_source_is_flattened_stream(struct kt_source *src)
{
	char sig[16];
	if (src->file || src->file_size < FLAT_HEADER_SIZE)
		return false;
	if (pread_exact(src, 0, sig, sizeof(sig)))
		return false;
	return memcmp(sig, FLAT_SIGNATURE, strlen(FLAT_SIGNATURE)) == 0;
}

static int compare_records(const void *a, const void *b)
{
	const struct flat_record *x = a, *y = b;
	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static struct kt_error *flat_add(struct kt_source *flat, size_t *cap,
				 uint64_t offset, uint64_t size,
				 uint64_t file_off)
{
	uint64_t most = flat->file->file_size / FLAT_BYTES_PER_RECORD;
	if (most < FLAT_MIN_RECORDS)
		most = FLAT_MIN_RECORDS;
	if (flat->nr_records >= most)
		return kt_error_create(KT_ERR_FORMAT,
				       "%s: more than %llu records in a flattened stream of %llu bytes: "
				       "not makedumpfile's (it writes records of tens of KiB)",
				       flat->path, (unsigned long long)most,
				       (unsigned long long)flat->file->file_size);
	if (flat->nr_records == *cap) {
		size_t ncap = *cap ? *cap * 2 : 1024;
		if (ncap > most)
			ncap = (size_t)most;
		struct flat_record *n = realloc(flat->records,
						ncap * sizeof(*n));
		if (!n)
			return &kt_error_out_of_memory;
		flat->records = n;
		*cap = ncap;
	}
	flat->records[flat->nr_records] = (struct flat_record){
		.offset = offset, .size = size, .file_off = file_off,
		.seq = flat->nr_records,
	};
	flat->nr_records++;
	if (offset + size > flat->size)
		flat->size = offset + size;
	return NULL;
}

/*
 * One pass over the record headers.  A stream cut short keeps the records
 * read so far; the part of the last record that is missing stays out of the
 * index, so reading it reports KT_ERR_MISSING.
 */
static struct kt_error *flat_index(struct kt_source *flat)
{
	struct kt_source *file = flat->file;
	uint64_t pos = FLAT_HEADER_SIZE;
	size_t cap = 0;
	for (;;) {
		int64_t hdr[2];
		if (pos + sizeof(hdr) > file->file_size) {
			flat->truncated = true; /* cut short before the end marker */
			break;
		}
		struct kt_error *err = pread_exact(file, pos, hdr, sizeof(hdr));
		if (err)
			return err;
		int64_t offset = (int64_t)be64toh((uint64_t)hdr[0]);
		int64_t size = (int64_t)be64toh((uint64_t)hdr[1]);
		pos += sizeof(hdr);
		if (offset == FLAT_END && size == FLAT_END)
			break;
		if (offset < 0 || size < 0 || (uint64_t)offset > INT64_MAX - (uint64_t)size)
			return kt_error_create(KT_ERR_FORMAT,
					       "%s: flattened record at 0x%llx has offset %lld size %lld",
					       flat->path, (unsigned long long)(pos - sizeof(hdr)),
					       (long long)offset, (long long)size);
		uint64_t avail = file->file_size - pos;
		uint64_t keep = (uint64_t)size < avail ? (uint64_t)size : avail;
		if (keep) {
			err = flat_add(flat, &cap, (uint64_t)offset, keep, pos);
			if (err)
				return err;
		}
		if ((uint64_t)size > avail) {
			flat->truncated = true;
			break;
		}
		pos += (uint64_t)size;
	}
	if (flat->nr_records) /* records is NULL when there are none */
		qsort(flat->records, flat->nr_records, sizeof(*flat->records),
		      compare_records);
	uint64_t max_end = 0;
	for (size_t i = 0; i < flat->nr_records; i++) {
		struct flat_record *r = &flat->records[i];
		if (r->offset + r->size > max_end)
			max_end = r->offset + r->size;
		r->max_end = max_end;
	}
	return NULL;
}

struct kt_error *kt_source_open_flattened(struct kt_source *file,
					  struct kt_source **out)
{
	struct {
		char signature[16];
		int64_t type, version;
	} hdr;
	struct kt_error *err = pread_exact(file, 0, &hdr, sizeof(hdr));
	if (err)
		return err;
	if ((int64_t)be64toh((uint64_t)hdr.type) != FLAT_TYPE)
		return kt_error_create(KT_ERR_FORMAT,
				       "%s: flattened header type %lld, expected %d",
				       file->path,
				       (long long)be64toh((uint64_t)hdr.type),
				       FLAT_TYPE);
	struct kt_source *flat = calloc(1, sizeof(*flat));
	if (!flat || !(flat->path = strdup(file->path))) {
		free(flat);
		return &kt_error_out_of_memory;
	}
	flat->fd = -1;
	flat->file = file;
	flat->file_size = file->file_size;
	err = flat_index(flat);
	if (err) {
		flat->file = NULL; /* the caller still owns it */
		kt_source_close(flat);
		return err;
	}
	*out = flat;
	return NULL;
}
