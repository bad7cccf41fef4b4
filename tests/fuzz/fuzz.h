/* SPDX-License-Identifier: MIT */
/*
 * What the libFuzzer harnesses share: a cursor over the input, a file made
 * of bytes (the readers open paths), and a sparse memory image (regions of
 * bytes at addresses) for the parsers that read kernel memory through a
 * callback.  Header-only: each harness is one object, so a harness links
 * the same way with libFuzzer's main and with replay.c's.
 */
#ifndef KTRIAGE_FUZZ_H
#define KTRIAGE_FUZZ_H

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ktriage/base.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_cursor {
	const uint8_t *data;
	size_t size;
};

/* Take n bytes; a short input gives zeros, so every input is usable. */
static inline void fuzz_take(struct fuzz_cursor *c, void *out, size_t n)
{
	size_t have = c->size < n ? c->size : n;
	memcpy(out, c->data, have);
	memset((uint8_t *)out + have, 0, n - have);
	c->data += have;
	c->size -= have;
}

static inline uint8_t fuzz_u8(struct fuzz_cursor *c)
{
	uint8_t v;
	fuzz_take(c, &v, sizeof(v));
	return v;
}

static inline uint16_t fuzz_u16(struct fuzz_cursor *c)
{
	uint16_t v;
	fuzz_take(c, &v, sizeof(v));
	return v;
}

static inline uint32_t fuzz_u32(struct fuzz_cursor *c)
{
	uint32_t v;
	fuzz_take(c, &v, sizeof(v));
	return v;
}

static inline uint64_t fuzz_u64(struct fuzz_cursor *c)
{
	uint64_t v;
	fuzz_take(c, &v, sizeof(v));
	return v;
}

/* At most n bytes, in place. */
static inline const uint8_t *fuzz_bytes(struct fuzz_cursor *c, size_t n,
					size_t *got)
{
	const uint8_t *p = c->data;
	*got = c->size < n ? c->size : n;
	c->data += *got;
	c->size -= *got;
	return p;
}

/*
 * The bytes as a file the library can open by path: a memfd, named through
 * /proc/self/fd.  Returns the descriptor (close it after), or -1.
 */
static inline int fuzz_file(const void *data, size_t size, char *path,
			    size_t path_size)
{
	int fd = memfd_create("ktriage-fuzz", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	const uint8_t *p = data;
	while (size) {
		ssize_t n = write(fd, p, size);
		if (n <= 0) {
			close(fd);
			return -1;
		}
		p += n;
		size -= (size_t)n;
	}
	snprintf(path, path_size, "/proc/self/fd/%d", fd);
	return fd;
}

/* KT_FUZZ_VERBOSE=1: harnesses say what an input reached (to check seeds). */
static inline bool fuzz_verbose(void)
{
	static int verbose = -1;
	if (verbose < 0)
		verbose = getenv("KT_FUZZ_VERBOSE") != NULL;
	return verbose;
}

/* Errors are values; a harness only needs them gone. */
static inline void fuzz_drop(struct kt_error *err)
{
	kt_error_free(err);
}

/* ---- A sparse memory image ------------------------------------------ */

#define FUZZ_MAX_REGIONS 16

struct fuzz_region {
	uint64_t address;
	const uint8_t *bytes;
	size_t len;
};

struct fuzz_image {
	struct fuzz_region regions[FUZZ_MAX_REGIONS];
	size_t count;
};

/*
 * The rest of the input as regions: each is a u64 address, a u32 length
 * and that many bytes (fewer when the input ends first).
 */
static inline void fuzz_image_parse(struct fuzz_cursor *c,
				    struct fuzz_image *im)
{
	im->count = 0;
	while (c->size >= 12 && im->count < FUZZ_MAX_REGIONS) {
		struct fuzz_region *r = &im->regions[im->count++];
		r->address = fuzz_u64(c);
		uint32_t len = fuzz_u32(c);
		r->bytes = fuzz_bytes(c, len, &r->len);
	}
}

/* Copy [address, address + len) when one region holds all of it. */
static inline bool fuzz_image_read(const struct fuzz_image *im,
				   uint64_t address, void *buf, size_t len)
{
	for (size_t i = 0; i < im->count; i++) {
		const struct fuzz_region *r = &im->regions[i];
		if (address >= r->address && address - r->address <= r->len &&
		    len <= r->len - (address - r->address)) {
			memcpy(buf, r->bytes + (address - r->address), len);
			return true;
		}
	}
	return false;
}

#endif
