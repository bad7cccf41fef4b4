// SPDX-License-Identifier: MIT
/*
 * Page decompressors: kt_decompress_page for each codec on hostile input.
 * Byte 0 picks the codec, byte 1 the page size (512 B .. 64 KiB); the rest
 * is the compressed page.  The same decompressor then decodes a second
 * input, as it does for the next page of a dump, so state left behind by
 * a failure is exercised too.  A page that decodes must fill exactly the
 * page: the output buffer is page-sized, so ASan sees any overrun.
 */
#include <stdlib.h>

#include "../../lib/dump/internal.h"
#include "fuzz.h"

static const enum kt_compression codecs[] = {
	KT_COMPRESS_ZLIB, KT_COMPRESS_LZO, KT_COMPRESS_SNAPPY,
	KT_COMPRESS_ZSTD, KT_COMPRESS_NONE,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_cursor c = { data, size };
	enum kt_compression codec = codecs[fuzz_u8(&c) % (sizeof(codecs) / sizeof(codecs[0]))];
	size_t page_size = (size_t)512 << (fuzz_u8(&c) % 8);
	/* Split the rest in two pages at a point the input chooses. */
	size_t split = c.size;
	if (c.size >= 2) {
		uint16_t at = fuzz_u16(&c);
		if (at && at < c.size)
			split = at;
	}
	size_t len1, len2;
	const uint8_t *in1 = fuzz_bytes(&c, split, &len1);
	const uint8_t *in2 = fuzz_bytes(&c, c.size, &len2);
	/* Exact-size heap copies: an overread of the input is caught too. */
	uint8_t *a = malloc(len1 ? len1 : 1), *b = malloc(len2 ? len2 : 1);
	uint8_t *out = malloc(page_size);
	struct kt_decompressor *d = kt_decompressor_create();
	if (a && b && out && d) {
		memcpy(a, in1, len1);
		memcpy(b, in2, len2);
		fuzz_drop(kt_decompress_page(d, codec, a, len1, out, page_size));
		fuzz_drop(kt_decompress_page(d, codec, b, len2, out, page_size));
		fuzz_drop(kt_decompress_page(d, codec, a, len1, out, page_size));
	}
	kt_decompressor_destroy(d);
	free(a);
	free(b);
	free(out);
	return 0;
}
