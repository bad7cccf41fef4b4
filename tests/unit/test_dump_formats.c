// SPDX-License-Identifier: MIT
/*
 * The other ways in: opening (what is not a dump), the flattened stream of
 * makedumpfile -F, ELF64 cores, and page decompression on its own.
 */
#include <endian.h>
#include <sys/stat.h>

#include "dump_fixture.h"

static struct kw_spec small_spec(enum kw_format format, bool flatten)
{
	struct kw_spec spec;
	kw_spec_default(&spec);
	spec.format = format;
	spec.flatten = flatten;
	spec.max_pfn = 192;
	spec.exclude_every = 6;
	spec.zero_every = 10;
	spec.codecs[0] = KW_ZSTD;
	return spec;
}

/* ---- opening ---- */

static void test_what_is_not_a_dump(void **state)
{
	const char *empty = fixture_path("empty");
	close(open(empty, O_CREAT | O_WRONLY | O_TRUNC, 0644));
	expect_open_error(empty, KT_ERR_FORMAT, "too short to be a dump (0 bytes)");
	const char *garbage = fixture_path("garbage");
	uint8_t junk[8192];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 7 + 3);
	int fd = open(garbage, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);
	expect_open_error(garbage, KT_ERR_FORMAT, "not a vmcore");
	expect_open_error(fixture_dir, KT_ERR_FORMAT, "not a regular file");
	expect_open_error(fixture_path("nonexistent"), KT_ERR_IO, "No such file");
}

/* ---- flattened ---- */

static void test_flattened_reads_as_the_file_it_carries(void **state)
{
	for (int format = KW_KDUMP; format <= KW_ELF; format++) {
		struct kw_spec spec = small_spec((enum kw_format)format, true);
		const char *path = write_fixture(&spec, "flat", NULL);
		struct kt_dump *dump = open_ok(path);
		const struct kt_dump_info *info = kt_dump_info(dump);
		assert_string_equal(info->format, "flattened");
		assert_string_equal(info->contents, format == KW_ELF ? "elf" : "kdump");
		assert_false(info->truncated);
		for (uint64_t pfn = 0; pfn < spec.max_pfn; pfn++)
			if (kw_pfn_dumped(&spec, pfn))
				expect_page(dump, &spec, pfn);
		kt_dump_close(dump);
	}
}

static void write_stream(const char *path, const void *records, size_t len,
			 int64_t type)
{
	uint8_t head[4096] = { 0 };
	memcpy(head, "makedumpfile", 12);
	uint64_t t = htobe64((uint64_t)type), v = htobe64(1);
	memcpy(head + 16, &t, 8);
	memcpy(head + 24, &v, 8);
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	assert_int_equal(write(fd, head, sizeof(head)), (ssize_t)sizeof(head));
	assert_int_equal(write(fd, records, len), (ssize_t)len);
	close(fd);
}

static size_t put_record(uint8_t *p, int64_t offset, int64_t size,
			 const void *data)
{
	uint64_t h[2] = { htobe64((uint64_t)offset), htobe64((uint64_t)size) };
	memcpy(p, h, sizeof(h));
	if (size > 0)
		memcpy(p + 16, data, (size_t)size);
	return 16 + (size_t)(size > 0 ? size : 0);
}

/* Later records win where they overlap earlier ones, as when rewritten. */
static void test_flattened_later_records_overwrite(void **state)
{
	const char *path = fixture_path("overwrite");
	uint8_t buf[256], *p = buf;
	p += put_record(p, 0, 8, "AAAAAAAA");
	p += put_record(p, 16, 8, "CCCCCCCC");
	p += put_record(p, 4, 8, "BBBBBBBB");
	p += put_record(p, -1, -1, NULL);
	write_stream(path, buf, (size_t)(p - buf), 1);
	struct kt_source *file, *flat;
	assert_null(kt_source_open_file(path, &file));
	assert_true(kt_source_is_flattened_stream(file));
	assert_null(kt_source_open_flattened(file, &flat));
	assert_int_equal(kt_source_size(flat), 24);
	assert_false(kt_source_truncated(flat));
	char got[13] = { 0 };
	assert_null(kt_source_read(flat, 0, got, 12));
	assert_string_equal(got, "AAAABBBBBBBB");
	assert_true(kt_source_covers(flat, 0, 12));
	assert_false(kt_source_covers(flat, 10, 8)); /* 12..16 was never written */
	expect_error(kt_source_read(flat, 10, got, 8), KT_ERR_MISSING, path,
		     "offset 0xc is not in the flattened stream", NULL);
	kt_source_close(flat);
}

static void test_flattened_stream_errors(void **state)
{
	const char *path = fixture_path("badflat");
	uint8_t buf[64], *p = buf;
	p += put_record(p, -1, -1, NULL);
	write_stream(path, buf, (size_t)(p - buf), 2);
	expect_open_error(path, KT_ERR_FORMAT, "flattened header type 2");
	p = buf;
	p += put_record(p, 0, -5, NULL);
	write_stream(path, buf, (size_t)(p - buf), 1);
	expect_open_error(path, KT_ERR_FORMAT, "size -5");
	p = buf;
	p += put_record(p, INT64_MAX - 2, 8, "KDUMP   ");
	write_stream(path, buf, (size_t)(p - buf), 1);
	expect_open_error(path, KT_ERR_FORMAT, "flattened record at 0x1000");
	/* A stream holding nothing at offset 0 carries no dump. */
	p = buf;
	p += put_record(p, 4096, 8, "KDUMP   ");
	p += put_record(p, -1, -1, NULL);
	write_stream(path, buf, (size_t)(p - buf), 1);
	expect_open_error(path, KT_ERR_FORMAT, "too short to be a dump");
}

/* A stream cut anywhere after the headers opens and keeps what came before. */
static void test_truncated_flattened_stream(void **state)
{
	struct kw_spec spec = small_spec(KW_KDUMP, true);
	spec.zero_every = 0;
	struct kw_layout l;
	const char *path = write_fixture(&spec, "cutflat", &l);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	uint64_t cuts[] = { (uint64_t)st.st_size - 8, (uint64_t)st.st_size / 2,
			    (uint64_t)st.st_size - 3000 };
	for (size_t c = 0; c < 3; c++) {
		write_fixture(&spec, "cutflat", &l);
		truncate_to(path, cuts[c]);
		struct kt_dump *dump = open_ok(path);
		const struct kt_dump_info *info = kt_dump_info(dump);
		assert_true(info->truncated);
		uint64_t ok = 0, missing = 0;
		for (uint64_t pfn = 0; pfn < spec.max_pfn; pfn++) {
			if (!kw_pfn_dumped(&spec, pfn))
				continue;
			uint8_t buf[4096];
			struct kt_error *err = kt_dump_read_page(dump, pfn, buf);
			if (!err) {
				expect_page(dump, &spec, pfn);
				assert_int_equal(missing, 0); /* survivors come first */
				ok++;
				continue;
			}
			assert_int_equal(kt_dump_page_status(dump, pfn), KT_PAGE_MISSING);
			expect_error(err, KT_ERR_MISSING, path, NULL);
			missing++;
		}
		assert_int_equal(info->pages_missing, missing);
		assert_int_equal(ok + missing, kw_pages_dumped(&spec));
		kt_dump_close(dump);
	}
	/* Cut inside the 4 KiB stream header: not a stream, not a dump. */
	write_fixture(&spec, "cutflat", &l);
	truncate_to(path, 100);
	expect_open_error(path, KT_ERR_FORMAT, "not a vmcore");
}

/* ---- ELF ---- */

#define EHDR_PHOFF 32
#define EHDR_TYPE 16
#define EHDR_PHENTSIZE 54
#define EHDR_PHNUM 56
#define PHDR(i) (64 + 56 * (i))

static const char *elf_fixture(struct kw_spec *spec, struct kw_layout *l)
{
	*spec = small_spec(KW_ELF, false);
	return write_fixture(spec, "core.elf", l);
}

static void test_elf_reads_back(void **state)
{
	struct kw_spec spec;
	struct kw_layout l;
	const char *path = elf_fixture(&spec, &l);
	struct kt_dump *dump = open_ok(path);
	const struct kt_dump_info *info = kt_dump_info(dump);
	assert_string_equal(info->format, "elf");
	assert_int_equal(info->page_size, 4096);
	assert_int_equal(info->pages_present, kw_pages_dumped(&spec));
	assert_int_equal(kt_dump_prstatus_count(dump), 2);
	assert_non_null(strstr(kt_dump_vmcoreinfo(dump, NULL), "OSRELEASE=6.1.0-fixture"));
	for (uint64_t pfn = 0; pfn < spec.max_pfn; pfn++) {
		if (kw_pfn_dumped(&spec, pfn)) {
			expect_page(dump, &spec, pfn);
			continue;
		}
		uint8_t buf[4096];
		assert_int_equal(kt_dump_page_status(dump, pfn), KT_PAGE_EXCLUDED);
		expect_error(kt_dump_read_page(dump, pfn, buf), KT_ERR_EXCLUDED, path,
			     pfn < info->max_pfn ? "in no PT_LOAD segment"
						 : "beyond the dump's last page", NULL);
	}
	kt_dump_close(dump);
}

static void test_elf_header_errors(void **state)
{
	struct kw_spec spec;
	struct kw_layout l;
	const char *path = elf_fixture(&spec, &l);
	patch_bytes(path, 4, "\1", 1); /* ELFCLASS32 */
	expect_open_error(path, KT_ERR_UNSUPPORTED, "little-endian ELF64");
	path = elf_fixture(&spec, &l);
	patch_bytes(path, EHDR_TYPE, "\2\0", 2); /* ET_EXEC */
	expect_open_error(path, KT_ERR_FORMAT, "ELF type 2 is not a core file");
	path = elf_fixture(&spec, &l);
	patch_bytes(path, EHDR_PHNUM, "\0\0", 2);
	expect_open_error(path, KT_ERR_FORMAT, "program headers of");
	path = elf_fixture(&spec, &l);
	patch_bytes(path, EHDR_PHENTSIZE, "\40\0", 2);
	expect_open_error(path, KT_ERR_FORMAT, "program headers of 32 bytes");
	path = elf_fixture(&spec, &l);
	patch64(path, EHDR_PHOFF, 1ull << 40);
	expect_open_error(path, KT_ERR_FORMAT, "program headers at 0x10000000000");
	path = elf_fixture(&spec, &l);
	patch64(path, EHDR_PHOFF, UINT64_MAX - 8);
	expect_open_error(path, KT_ERR_FORMAT, "past the end of the file");
}

static void test_elf_segment_errors(void **state)
{
	struct kw_spec spec;
	struct kw_layout l;
	/* PT_LOAD 1: paddr past 52 bits, and filesz > memsz. */
	const char *path = elf_fixture(&spec, &l);
	patch64(path, PHDR(1) + 24, 1ull << 60);
	expect_open_error(path, KT_ERR_FORMAT, "PT_LOAD 1");
	path = elf_fixture(&spec, &l);
	patch64(path, PHDR(1) + 32, 1ull << 62);
	expect_open_error(path, KT_ERR_FORMAT, "is impossible");
	/* PT_NOTE past the end, or too large. */
	path = elf_fixture(&spec, &l);
	patch64(path, PHDR(0) + 8, 1ull << 30);
	expect_open_error(path, KT_ERR_MISSING, "PT_NOTE");
	path = elf_fixture(&spec, &l);
	patch64(path, PHDR(0) + 32, 1ull << 40);
	expect_open_error(path, KT_ERR_FORMAT, "PT_NOTE of");
}

static void test_elf_page_size_from_vmcoreinfo(void **state)
{
	struct kw_spec spec;
	struct kw_layout l;
	const char *path = elf_fixture(&spec, &l);
	/* Find "PAGESIZE=4096" in the notes and make it 3000. */
	uint8_t notes[2048];
	assert_true(l.notes_size <= sizeof(notes));
	read_bytes(path, l.notes_off, notes, l.notes_size);
	uint8_t *at = memmem(notes, l.notes_size, "PAGESIZE=4096", 13);
	assert_non_null(at);
	patch_bytes(path, l.notes_off + (uint64_t)(at - notes), "PAGESIZE=3000", 13);
	expect_open_error(path, KT_ERR_FORMAT, "page size 3000 is not a power of two");
}

/* A cut in the middle of the data: whole pages before it read. */
static void test_truncated_elf(void **state)
{
	struct kw_spec spec;
	struct kw_layout l;
	const char *path = elf_fixture(&spec, &l);
	uint64_t cut = l.data_off + 50 * 4096 + 100;
	truncate_to(path, cut);
	struct kt_dump *dump = open_ok(path);
	const struct kt_dump_info *info = kt_dump_info(dump);
	assert_true(info->truncated);
	uint64_t ok = 0, missing = 0;
	for (uint64_t pfn = 0; pfn < spec.max_pfn; pfn++) {
		if (!kw_pfn_dumped(&spec, pfn))
			continue;
		uint8_t buf[4096];
		struct kt_error *err = kt_dump_read_page(dump, pfn, buf);
		enum kt_page_status status = kt_dump_page_status(dump, pfn);
		if (!err) {
			assert_int_equal(status, KT_PAGE_PRESENT);
			expect_page(dump, &spec, pfn);
			ok++;
			continue;
		}
		assert_int_equal(status, KT_PAGE_MISSING);
		expect_error(err, KT_ERR_MISSING, path, "past the end of the file", NULL);
		missing++;
	}
	assert_int_equal(ok, 50); /* page 51 is cut through */
	assert_int_equal(info->pages_missing, missing);
	kt_dump_close(dump);
}

/* ---- decompression on its own ---- */

static void test_decompress_rejects_bad_input(void **state)
{
	uint8_t page[4096], packed[8192], out[4096];
	struct kt_decompressor *d = kt_decompressor_create();
	assert_non_null(d);
	for (size_t i = 0; i < sizeof(page); i++)
		page[i] = (uint8_t)(i % 61);
	size_t n = ZSTD_compress(packed, sizeof(packed), page, sizeof(page), 1);
	assert_null(kt_decompress_page(d, KT_COMPRESS_ZSTD, packed, n, out, 4096));
	assert_memory_equal(out, page, 4096);
	/* The same stream cut short, or expected to fill a bigger page. */
	expect_error(kt_decompress_page(d, KT_COMPRESS_ZSTD, packed, n - 3, out, 4096),
		     KT_ERR_CORRUPT, "zstd:", NULL);
	uint8_t big[8192];
	expect_error(kt_decompress_page(d, KT_COMPRESS_ZSTD, packed, n, big, 8192),
		     KT_ERR_CORRUPT, "zstd: decompressed to 4096 bytes, expected 8192", NULL);
	uLongf zn = sizeof(packed);
	assert_int_equal(compress2(packed, &zn, page, sizeof(page), 1), Z_OK);
	expect_error(kt_decompress_page(d, KT_COMPRESS_ZLIB, packed, zn, big, 8192),
		     KT_ERR_CORRUPT, "zlib", NULL);
	expect_error(kt_decompress_page(d, KT_COMPRESS_ZLIB, packed, zn / 2, out, 4096),
		     KT_ERR_CORRUPT, "zlib:", NULL);
	size_t sn = sizeof(packed);
	assert_int_equal(snappy_compress((const char *)page, sizeof(page),
					 (char *)packed, &sn), SNAPPY_OK);
	expect_error(kt_decompress_page(d, KT_COMPRESS_SNAPPY, packed, sn, big, 8192),
		     KT_ERR_CORRUPT, "snappy: decompressed to 4096 bytes, expected 8192", NULL);
	expect_error(kt_decompress_page(d, KT_COMPRESS_SNAPPY, packed, sn / 2, out, 4096),
		     KT_ERR_CORRUPT, "snappy: invalid input", NULL);
	expect_error(kt_decompress_page(d, KT_COMPRESS_SNAPPY, "\xff\xff\xff\xff\xff\xff", 6,
					out, 4096),
		     KT_ERR_CORRUPT, "snappy: bad length header", NULL);
	static lzo_align_t work[LZO1X_1_MEM_COMPRESS / sizeof(lzo_align_t) + 1];
	lzo_uint ln = sizeof(packed);
	assert_int_equal(lzo_init(), LZO_E_OK);
	assert_int_equal(lzo1x_1_compress(page, sizeof(page), packed, &ln, work), LZO_E_OK);
	expect_error(kt_decompress_page(d, KT_COMPRESS_LZO, packed, ln, big, 8192),
		     KT_ERR_CORRUPT, "lzo: decompressed to 4096 bytes, expected 8192", NULL);
	expect_error(kt_decompress_page(d, KT_COMPRESS_LZO, packed, ln / 2, out, 4096),
		     KT_ERR_CORRUPT, "lzo: error", NULL);
	expect_error(kt_decompress_page(d, KT_COMPRESS_NONE, packed, 16, out, 4096),
		     KT_ERR_UNSUPPORTED, "unknown compression method", NULL);
	/* After all those failures the context still decodes good pages. */
	size_t zn2 = sizeof(packed);
	assert_int_equal(compress2(packed, &zn2, page, sizeof(page), 1), Z_OK);
	assert_null(kt_decompress_page(d, KT_COMPRESS_ZLIB, packed, zn2, out, 4096));
	assert_memory_equal(out, page, 4096);
	n = ZSTD_compress(packed, sizeof(packed), page, sizeof(page), 1);
	assert_null(kt_decompress_page(d, KT_COMPRESS_ZSTD, packed, n, out, 4096));
	assert_memory_equal(out, page, 4096);
	kt_decompressor_destroy(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_what_is_not_a_dump),
		cmocka_unit_test(test_flattened_reads_as_the_file_it_carries),
		cmocka_unit_test(test_flattened_later_records_overwrite),
		cmocka_unit_test(test_flattened_stream_errors),
		cmocka_unit_test(test_truncated_flattened_stream),
		cmocka_unit_test(test_elf_reads_back),
		cmocka_unit_test(test_elf_header_errors),
		cmocka_unit_test(test_elf_segment_errors),
		cmocka_unit_test(test_elf_page_size_from_vmcoreinfo),
		cmocka_unit_test(test_truncated_elf),
		cmocka_unit_test(test_decompress_rejects_bad_input),
	};
	return cmocka_run_group_tests_name("dump_formats", tests, fixture_dir_create,
					   fixture_dir_remove);
}
