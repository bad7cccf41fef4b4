// SPDX-License-Identifier: MIT
/*
 * Page decompression through each method's own library.  A page must come
 * out exactly page_size bytes long: anything else is corruption.
 *
 * zlib and zstd keep their decoder state in a per-dump context: setting a
 * decoder up costs more than decoding one 4 KiB page (zstd's one-shot
 * ZSTD_decompress allocates a context on every call).
 */
#include <stdlib.h>
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

struct kt_decompressor {
	z_stream zlib;
	bool zlib_ready;
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
	if (d->zlib_ready)
		inflateEnd(&d->zlib);
	ZSTD_freeDCtx(d->zstd);
	free(d);
}

static struct kt_error *decompress_zlib(struct kt_decompressor *d,
					const void *in, size_t in_len,
					void *out, size_t page_size)
{
	z_stream *z = &d->zlib;
	int rc = d->zlib_ready ? inflateReset(z) : inflateInit(z);
	if (rc != Z_OK)
		return kt_error_create(rc == Z_MEM_ERROR ? KT_ERR_NOMEM : KT_ERR_CORRUPT,
				       "zlib: %s", zError(rc));
	d->zlib_ready = true;
	z->next_in = (Bytef *)in;
	z->avail_in = (uInt)in_len;
	z->next_out = out;
	z->avail_out = (uInt)page_size;
	rc = inflate(z, Z_FINISH);
	if (rc == Z_BUF_ERROR && z->avail_out == 0)
		return kt_error_create(KT_ERR_CORRUPT,
				       "zlib: decompresses to more than %zu bytes",
				       page_size);
	if (rc != Z_STREAM_END)
		return kt_error_create(KT_ERR_CORRUPT, "zlib: %s",
				       z->msg ? z->msg : zError(rc));
	if (z->total_out != page_size)
		return size_mismatch("zlib", z->total_out, page_size);
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
