// SPDX-License-Identifier: MIT
/*
 * Page decompression through each method's own library.  A page must come
 * out exactly page_size bytes long: anything else is corruption.
 *
 * zlib pages (makedumpfile -c, the default of most distributions) are
 * decoded with libdeflate, whose whole-buffer zlib decoder is two to three
 * times faster than zlib's streaming inflate: at triage, decoding the
 * kernel's kallsyms and BTF pages is most of the work.  zstd keeps its
 * decoder context per dump: its one-shot ZSTD_decompress allocates one
 * on every call.
 */
#include <libdeflate.h>
#include <stdlib.h>
#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <zstd.h>

#include "internal.h"

static struct kt_error *size_mismatch(const char *method, size_t got,
				      size_t page_size)
{
	return kt_error_create(KT_ERR_CORRUPT,
			       "%s: decompressed to %zu bytes, expected %zu",
			       method, got, page_size);
}

struct kt_decompressor {
	struct libdeflate_decompressor *zlib;
	ZSTD_DCtx *zstd;
};

struct kt_decompressor *kt_decompressor_create(void)
{
	return calloc(1, sizeof(struct kt_decompressor));
}

void kt_decompressor_destroy(struct kt_decompressor *d)
{
	if (!d)
		return;
	if (d->zlib)
		libdeflate_free_decompressor(d->zlib);
	ZSTD_freeDCtx(d->zstd);
	free(d);
}

static struct kt_error *decompress_zlib(struct kt_decompressor *d,
					const void *in, size_t in_len,
					void *out, size_t page_size)
{
	if (!d->zlib && !(d->zlib = libdeflate_alloc_decompressor()))
		return &kt_error_out_of_memory;
	size_t got;
	enum libdeflate_result rc = libdeflate_zlib_decompress(d->zlib, in, in_len,
							       out, page_size, &got);
	switch (rc) {
	case LIBDEFLATE_SUCCESS:
		return got == page_size ? NULL : size_mismatch("zlib", got, page_size);
	case LIBDEFLATE_INSUFFICIENT_SPACE:
		return kt_error_create(KT_ERR_CORRUPT,
				       "zlib: decompresses to more than %zu bytes",
				       page_size);
	case LIBDEFLATE_SHORT_OUTPUT:
		return kt_error_create(KT_ERR_CORRUPT, "zlib: stream ends early");
	default:
		return kt_error_create(KT_ERR_CORRUPT, "zlib: invalid compressed data");
	}
}

static struct kt_error *decompress_lzo(const void *in, size_t in_len,
				       void *out, size_t page_size)
{
	/* lzo_init only checks the library's ABI; cheap, and keeps no state
	 * of ours. */
	if (lzo_init() != LZO_E_OK)
		return kt_error_create(KT_ERR_UNSUPPORTED,
				       "lzo: library initialisation failed");
	lzo_uint out_len = page_size;
	int rc = lzo1x_decompress_safe(in, in_len, out, &out_len, NULL);
	if (rc != LZO_E_OK)
		return kt_error_create(KT_ERR_CORRUPT, "lzo: error %d", rc);
	if (out_len != page_size)
		return size_mismatch("lzo", out_len, page_size);
	return NULL;
}

static struct kt_error *decompress_snappy(const void *in, size_t in_len,
					  void *out, size_t page_size)
{
	size_t out_len;
	if (snappy_uncompressed_length(in, in_len, &out_len) != SNAPPY_OK)
		return kt_error_create(KT_ERR_CORRUPT,
				       "snappy: bad length header");
	if (out_len != page_size)
		return size_mismatch("snappy", out_len, page_size);
	if (snappy_uncompress(in, in_len, out, &out_len) != SNAPPY_OK)
		return kt_error_create(KT_ERR_CORRUPT, "snappy: invalid input");
	return NULL;
}

static struct kt_error *decompress_zstd(struct kt_decompressor *d,
					const void *in, size_t in_len,
					void *out, size_t page_size)
{
	if (!d->zstd && !(d->zstd = ZSTD_createDCtx()))
		return &kt_error_out_of_memory;
	size_t rc = ZSTD_decompressDCtx(d->zstd, out, page_size, in, in_len);
	if (ZSTD_isError(rc))
		return kt_error_create(KT_ERR_CORRUPT, "zstd: %s",
				       ZSTD_getErrorName(rc));
	if (rc != page_size)
		return size_mismatch("zstd", rc, page_size);
	return NULL;
}

struct kt_error *kt_decompress_page(struct kt_decompressor *d,
				    enum kt_compression method,
				    const void *in, size_t in_len, void *out,
				    size_t page_size)
{
	switch (method) {
	case KT_COMPRESS_ZLIB:
		return decompress_zlib(d, in, in_len, out, page_size);
	case KT_COMPRESS_LZO:
		return decompress_lzo(in, in_len, out, page_size);
	case KT_COMPRESS_SNAPPY:
		return decompress_snappy(in, in_len, out, page_size);
	case KT_COMPRESS_ZSTD:
		return decompress_zstd(d, in, in_len, out, page_size);
	default:
		return kt_error_create(KT_ERR_UNSUPPORTED,
				       "unknown compression method 0x%x",
				       (unsigned)method);
	}
}
