// SPDX-License-Identifier: MIT
/*
 * Page decompression through each method's own library.  A page must come
 * out exactly page_size bytes long: anything else is corruption.
 */
#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include "internal.h"

static struct kt_error *size_mismatch(const char *method, size_t got,
				      size_t page_size)
{
	return kt_error_create(KT_ERR_CORRUPT,
			       "%s: decompressed to %zu bytes, expected %zu",
			       method, got, page_size);
}

static struct kt_error *decompress_zlib(const void *in, size_t in_len,
					void *out, size_t page_size)
{
	uLongf out_len = page_size;
	int rc = uncompress(out, &out_len, in, in_len);
	if (rc != Z_OK)
		return kt_error_create(KT_ERR_CORRUPT, "zlib: %s", zError(rc));
	if (out_len != page_size)
		return size_mismatch("zlib", out_len, page_size);
	return NULL;
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

static struct kt_error *decompress_zstd(const void *in, size_t in_len,
					void *out, size_t page_size)
{
	size_t rc = ZSTD_decompress(out, page_size, in, in_len);
	if (ZSTD_isError(rc))
		return kt_error_create(KT_ERR_CORRUPT, "zstd: %s",
				       ZSTD_getErrorName(rc));
	if (rc != page_size)
		return size_mismatch("zstd", rc, page_size);
	return NULL;
}

struct kt_error *kt_decompress_page(enum kt_compression method,
				    const void *in, size_t in_len, void *out,
				    size_t page_size)
{
	switch (method) {
	case KT_COMPRESS_ZLIB:
		return decompress_zlib(in, in_len, out, page_size);
	case KT_COMPRESS_LZO:
		return decompress_lzo(in, in_len, out, page_size);
	case KT_COMPRESS_SNAPPY:
		return decompress_snappy(in, in_len, out, page_size);
	case KT_COMPRESS_ZSTD:
		return decompress_zstd(in, in_len, out, page_size);
	default:
		return kt_error_create(KT_ERR_UNSUPPORTED,
				       "unknown compression method 0x%x",
				       (unsigned)method);
	}
}
