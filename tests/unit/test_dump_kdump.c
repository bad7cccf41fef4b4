// SPDX-License-Identifier: MIT
/*
 * The kdump-compressed reader: every header version and codec reads back
 * what the fixture writer wrote, and every damaged field gives its own
 * error naming the file (and the page, for page errors).
 */
#include "dump_fixture.h"

/* Header fields (disk_dump_header) the tests patch. */
#define OFF_VERSION 8
#define OFF_BLOCK_SIZE 428
#define OFF_SUB_HDR_SIZE 432
#define OFF_BITMAP_BLOCKS 436
#define OFF_MAX_MAPNR 440
/* kdump_sub_header fields, from the sub-header's start. */
#define SUB_START_PFN 16
#define SUB_END_PFN 24
#define SUB_OFFSET_VMCOREINFO 32
#define SUB_SIZE_VMCOREINFO 40
#define SUB_OFFSET_NOTE 48
#define SUB_SIZE_NOTE 56
#define SUB_START_PFN_64 80
#define SUB_END_PFN_64 88
#define SUB_MAX_MAPNR_64 96

static struct kw_spec base_spec(void)
{
	struct kw_spec spec;
	kw_spec_default(&spec);
	spec.max_pfn = 256;
	spec.exclude_every = 5;
	spec.zero_every = 7;
	spec.hole_start = 100;
	spec.hole_end = 120;
	return spec;
}

/* Errors name the file the page lives in: the dump, or one part of a set. */
static void expect_all_pages(struct kt_dump *dump, const struct kw_spec *spec)
{
	const char *file = kt_dump_info(dump)->nr_parts == 1 ? kt_dump_info(dump)->path
							      : NULL;
	for (uint64_t pfn = 0; pfn < spec->max_pfn; pfn++) {
		if (kw_pfn_dumped(spec, pfn)) {
			assert_int_equal(kt_dump_page_status(dump, pfn), KT_PAGE_PRESENT);
			expect_page(dump, spec, pfn);
			continue;
		}
		uint8_t buf[4096];
		assert_int_equal(kt_dump_page_status(dump, pfn), KT_PAGE_EXCLUDED);
		expect_error(kt_dump_read_page(dump, pfn, buf), KT_ERR_EXCLUDED,
			     file, "excluded", NULL);
	}
}

static void test_every_header_version_and_codec_reads_back(void **state)
{
	static const unsigned masks[] = { KT_COMPRESS_NONE, KT_COMPRESS_ZLIB, KT_COMPRESS_LZO,
					  KT_COMPRESS_SNAPPY, KT_COMPRESS_ZSTD };
	for (int version = 1; version <= 6; version++) {
		for (int codec = KW_NONE; codec <= KW_ZSTD; codec++) {
			struct kw_spec spec = base_spec();
			spec.header_version = version;
			spec.codecs[0] = (enum kw_codec)codec;
			spec.vmcoreinfo = version >= 4 ? KW_VMCOREINFO_BOTH
				       : version == 3 ? KW_VMCOREINFO_SUBHDR
						      : KW_VMCOREINFO_NONE;
			const char *path = write_fixture(&spec, "v.kdump", NULL);
			struct kt_dump *dump = open_ok(path);
			const struct kt_dump_info *info = kt_dump_info(dump);
			assert_string_equal(info->format, "kdump");
			assert_int_equal(info->header_version, version);
			assert_int_equal(info->compression, masks[codec]);
			assert_int_equal(info->dump_level, 31);
			assert_int_equal(info->page_size, 4096);
			assert_int_equal(info->max_pfn, 256);
			assert_int_equal(info->pages_present, kw_pages_dumped(&spec));
			assert_int_equal(info->timestamp, 1700000000);
			assert_string_equal(info->utsname_release, "6.1.0-fixture");
			assert_false(info->truncated || info->incomplete || info->split);
			assert_int_equal(info->pages_missing, 0);
			size_t len;
			const char *text = kt_dump_vmcoreinfo(dump, &len);
			if (version >= 3)
				assert_non_null(text && strstr(text, "OSRELEASE=6.1.0-fixture\n") ? text : NULL);
			else
				assert_null(text);
			assert_int_equal(kt_dump_prstatus_count(dump), version >= 4 ? 2 : 0);
			expect_all_pages(dump, &spec);
			kt_dump_close(dump);
		}
	}
}

static void test_mixed_codecs_in_one_dump(void **state)
{
	struct kw_spec spec = base_spec();
	spec.codecs[0] = KW_ZLIB;
	spec.codecs[1] = KW_LZO;
	spec.codecs[2] = KW_SNAPPY;
	spec.codecs[3] = KW_ZSTD;
	spec.codecs[4] = KW_NONE;
	spec.nr_codecs = 5;
	const char *path = write_fixture(&spec, "mixed.kdump", NULL);
	struct kt_dump *dump = open_ok(path);
	assert_int_equal(kt_dump_info(dump)->compression,
			 KT_COMPRESS_ZLIB | KT_COMPRESS_LZO | KT_COMPRESS_SNAPPY |
				 KT_COMPRESS_ZSTD);
	expect_all_pages(dump, &spec);
	kt_dump_close(dump);
}

static void test_vmcoreinfo_from_each_place(void **state)
{
	static const enum kw_vmcoreinfo places[] = {
		KW_VMCOREINFO_SUBHDR, KW_VMCOREINFO_NOTE, KW_VMCOREINFO_BOTH,
		KW_VMCOREINFO_NONE,
	};
	for (size_t i = 0; i < 4; i++) {
		struct kw_spec spec = base_spec();
		spec.vmcoreinfo = places[i];
		const char *path = write_fixture(&spec, "vmci.kdump", NULL);
		struct kt_dump *dump = open_ok(path);
		const char *text = kt_dump_vmcoreinfo(dump, NULL);
		if (places[i] == KW_VMCOREINFO_NONE) {
			assert_null(text);
		} else {
			assert_non_null(text);
			assert_non_null(strstr(text, "BUILD-ID=00112233445566778899aabbccddeeff00112233\n"));
		}
		kt_dump_close(dump);
	}
}

static void test_prstatus_notes_give_pid_and_registers(void **state)
{
	struct kw_spec spec = base_spec();
	spec.cpus = 4;
	const char *path = write_fixture(&spec, "cpus.kdump", NULL);
	struct kt_dump *dump = open_ok(path);
	assert_int_equal(kt_dump_prstatus_count(dump), 4);
	assert_int_equal(kt_dump_info(dump)->nr_cpus, 4);
	for (size_t cpu = 0; cpu < 4; cpu++) {
		const struct kt_prstatus *p = kt_dump_prstatus(dump, cpu);
		assert_int_equal(p->pid, cpu + 1);
		assert_int_equal(p->regs_size, 27 * 8);
		uint64_t rip;
		memcpy(&rip, p->regs + 16 * 8, 8);
		assert_int_equal(rip, 0xffffffff81000000ull + 0x10 * cpu);
	}
	assert_null(kt_dump_prstatus(dump, 4));
	assert_int_equal(kt_dump_note_count(dump), 5); /* 4 CORE + VMCOREINFO */
	kt_dump_close(dump);
}

static void test_read_phys_crosses_pages(void **state)
{
	struct kw_spec spec = base_spec();
	const char *path = write_fixture(&spec, "phys.kdump", NULL);
	struct kt_dump *dump = open_ok(path);
	uint8_t got[4096 + 200], want[3][4096];
	for (int i = 0; i < 3; i++)
		kw_page_contents(&spec, (uint64_t)i + 1, want[i]);
	for (int round = 0; round < 2; round++) { /* the second is cached */
		assert_null(kt_dump_read_phys(dump, 4096 + 4000, got, sizeof(got)));
		assert_memory_equal(got, want[0] + 4000, 96);
		assert_memory_equal(got + 96, want[1], 4096);
		assert_memory_equal(got + 96 + 4096, want[2], 104);
	}
	/* pfn 4 is excluded (exclude_every 5): the error names it. */
	expect_error(kt_dump_read_phys(dump, 3 * 4096 + 10, got, 8192), KT_ERR_EXCLUDED,
		     path, "page 0x4", NULL);
	expect_error(kt_dump_read_phys(dump, 256 * 4096, got, 8), KT_ERR_EXCLUDED,
		     path, "beyond the dump's last page", NULL);
	kt_dump_close(dump);
}

static void test_next_range_skips_excluded_and_holes(void **state)
{
	struct kw_spec spec = base_spec();
	const char *path = write_fixture(&spec, "ranges.kdump", NULL);
	struct kt_dump *dump = open_ok(path);
	uint64_t pfn = 0, start, end, seen = 0;
	while (kt_dump_next_range(dump, pfn, &start, &end)) {
		assert_true(start < end);
		for (uint64_t p = pfn; p < start; p++)
			assert_false(kw_pfn_dumped(&spec, p));
		for (uint64_t p = start; p < end; p++)
			assert_true(kw_pfn_dumped(&spec, p));
		seen += end - start;
		pfn = end;
	}
	assert_int_equal(seen, kw_pages_dumped(&spec));
	kt_dump_close(dump);
}

/* ---- header fields out of range ---- */

static const char *good_dump(struct kw_layout *layout)
{
	struct kw_spec spec = base_spec();
	return write_fixture(&spec, "bad.kdump", layout);
}

static void test_bad_magic(void **state)
{
	const char *path = good_dump(NULL);
	patch_bytes(path, 0, "KDUMQ   ", 8);
	expect_open_error(path, KT_ERR_FORMAT, "not a vmcore");
}

static void test_header_version_out_of_range(void **state)
{
	static const int32_t versions[] = { 7, -1, 0x7fffffff };
	for (size_t i = 0; i < 3; i++) {
		const char *path = good_dump(NULL);
		patch32(path, OFF_VERSION, (uint32_t)versions[i]);
		expect_open_error(path, KT_ERR_FORMAT, "unknown header version");
	}
}

static void test_block_size_not_a_power_of_two(void **state)
{
	static const int32_t sizes[] = { 3000, 4095, 0, -4096, 256, 1 << 21 };
	for (size_t i = 0; i < 6; i++) {
		const char *path = good_dump(NULL);
		patch32(path, OFF_BLOCK_SIZE, (uint32_t)sizes[i]);
		char want[64];
		snprintf(want, sizeof(want), "block size %d is not a power of two", sizes[i]);
		expect_open_error(path, KT_ERR_FORMAT, want);
	}
}

static void test_sub_header_size_out_of_range(void **state)
{
	static const int32_t sizes[] = { -1, 5000 };
	for (size_t i = 0; i < 2; i++) {
		const char *path = good_dump(NULL);
		patch32(path, OFF_SUB_HDR_SIZE, (uint32_t)sizes[i]);
		expect_open_error(path, KT_ERR_FORMAT, "sub-header size");
	}
}

static void test_bitmap_blocks_cannot_hold_two_bitmaps(void **state)
{
	static const uint32_t blocks[] = { 0, 3 };
	for (size_t i = 0; i < 2; i++) {
		const char *path = good_dump(NULL);
		patch32(path, OFF_BITMAP_BLOCKS, blocks[i]);
		expect_open_error(path, KT_ERR_FORMAT, "cannot hold two bitmaps");
	}
}

static void test_bitmap_past_end_of_file(void **state)
{
	const char *path = good_dump(NULL);
	patch32(path, OFF_BITMAP_BLOCKS, 0xfffffffe);
	expect_open_error(path, KT_ERR_FORMAT, "past the end of the file");
	/* The same when the file is cut inside the bitmaps. */
	struct kw_layout l;
	path = good_dump(&l);
	truncate_to(path, l.bitmap2_off + 100);
	expect_open_error(path, KT_ERR_FORMAT, "past the end of the file");
}

static void test_max_mapnr_larger_than_bitmap(void **state)
{
	const char *path = good_dump(NULL);
	struct kw_layout l;
	path = good_dump(&l);
	patch64(path, l.sub_header_off + SUB_MAX_MAPNR_64, l.bitmap_size * 8 + 1);
	expect_open_error(path, KT_ERR_FORMAT, "larger than the bitmap");
	/* Version 5 has no max_mapnr_64: the 32-bit field counts. */
	struct kw_spec spec = base_spec();
	spec.header_version = 5;
	path = write_fixture(&spec, "v5.kdump", &l);
	patch32(path, OFF_MAX_MAPNR, 0xffffffff);
	expect_open_error(path, KT_ERR_FORMAT, "larger than the bitmap");
}

static void test_split_range_out_of_range(void **state)
{
	struct kw_spec spec = base_spec();
	spec.split = true;
	spec.split_start = 10;
	spec.split_end = 20;
	struct kw_layout l;
	const char *path = write_fixture(&spec, "split.kdump", &l);
	patch64(path, l.sub_header_off + SUB_END_PFN_64, 1000);
	expect_open_error(path, KT_ERR_FORMAT, "split range 0xa-0x3e8 is not inside");
	path = write_fixture(&spec, "split.kdump", &l);
	patch64(path, l.sub_header_off + SUB_START_PFN_64, 30);
	expect_open_error(path, KT_ERR_FORMAT, "split range 0x1e-0x14");
}

static void test_note_area_past_end_of_file(void **state)
{
	struct kw_layout l;
	const char *path = good_dump(&l);
	patch64(path, l.sub_header_off + SUB_OFFSET_NOTE, l.file_size - 10);
	expect_open_error(path, KT_ERR_FORMAT, "note area at");
	path = good_dump(&l);
	patch64(path, l.sub_header_off + SUB_OFFSET_NOTE, UINT64_MAX - 4);
	expect_open_error(path, KT_ERR_FORMAT, "past the end of the file");
	path = good_dump(&l);
	patch64(path, l.sub_header_off + SUB_SIZE_NOTE, 1ull << 40);
	expect_open_error(path, KT_ERR_FORMAT, "too large");
}

static void test_vmcoreinfo_past_end_of_file(void **state)
{
	struct kw_spec spec = base_spec();
	spec.vmcoreinfo = KW_VMCOREINFO_SUBHDR;
	struct kw_layout l;
	const char *path = write_fixture(&spec, "vmci.kdump", &l);
	patch64(path, l.sub_header_off + SUB_OFFSET_VMCOREINFO, l.file_size);
	expect_open_error(path, KT_ERR_FORMAT, "VMCOREINFO at");
	path = write_fixture(&spec, "vmci.kdump", &l);
	patch64(path, l.sub_header_off + SUB_SIZE_VMCOREINFO, 1ull << 33);
	expect_open_error(path, KT_ERR_FORMAT, "VMCOREINFO of");
}

static void test_file_shorter_than_its_header(void **state)
{
	const char *path = good_dump(NULL);
	truncate_to(path, 300);
	expect_open_error(path, KT_ERR_MISSING, "kdump header");
	path = good_dump(NULL);
	truncate_to(path, 4);
	expect_open_error(path, KT_ERR_FORMAT, "too short to be a dump");
}

/* ---- page descriptors and data ---- */

/* The first dumped, non-zero pfn compressed with codec, and its dump. */
static const char *codec_dump(enum kw_codec codec, struct kw_spec *spec,
			      struct kw_layout *l, uint64_t *pfn)
{
	*spec = base_spec();
	spec->codecs[0] = codec;
	const char *path = write_fixture(spec, "page.kdump", l);
	*pfn = 1;
	return path;
}

static void expect_page_error(const char *path, uint64_t pfn,
			      enum kt_error_code code,
			      enum kt_page_status status, const char *what)
{
	struct kt_dump *dump = open_ok(path);
	char page_name[32];
	snprintf(page_name, sizeof(page_name), "page 0x%llx", (unsigned long long)pfn);
	uint8_t buf[4096];
	expect_error(kt_dump_read_page(dump, pfn, buf), code, path, page_name, what, NULL);
	expect_error(kt_dump_read_phys(dump, pfn * 4096, buf, 16), code, path,
		     page_name, what, NULL);
	assert_int_equal(kt_dump_page_status(dump, pfn), status);
	/* Its neighbours are unharmed. */
	struct kw_spec spec = base_spec();
	expect_page(dump, &spec, pfn + 1);
	kt_dump_close(dump);
}

static void test_compressed_size_larger_than_page(void **state)
{
	struct kw_spec spec;
	struct kw_layout l;
	uint64_t pfn;
	const char *path = codec_dump(KW_ZLIB, &spec, &l, &pfn);
	patch32(path, desc_off_of(&spec, &l, pfn) + 8, 4097);
	expect_page_error(path, pfn, KT_ERR_CORRUPT, KT_PAGE_CORRUPT,
			  "stored size 4097 is larger than the page");
	path = codec_dump(KW_ZLIB, &spec, &l, &pfn);
	patch32(path, desc_off_of(&spec, &l, pfn) + 8, 0xffffffff);
	expect_page_error(path, pfn, KT_ERR_CORRUPT, KT_PAGE_CORRUPT,
			  "larger than the page");
}

static void test_descriptor_naming_several_codecs(void **state)
{
	struct kw_spec spec;
	struct kw_layout l;
	uint64_t pfn;
	const char *path = codec_dump(KW_ZLIB, &spec, &l, &pfn);
	patch32(path, desc_off_of(&spec, &l, pfn) + 12, 0x1 | 0x20);
	expect_page_error(path, pfn, KT_ERR_CORRUPT, KT_PAGE_CORRUPT,
			  "several compressions");
}

static void test_raw_page_of_wrong_size(void **state)
{
	struct kw_spec spec;
	struct kw_layout l;
	uint64_t pfn;
	const char *path = codec_dump(KW_ZLIB, &spec, &l, &pfn);
	patch32(path, desc_off_of(&spec, &l, pfn) + 12, 0);
	expect_page_error(path, pfn, KT_ERR_CORRUPT, KT_PAGE_CORRUPT,
			  "uncompressed page of");
}

static void test_data_offset_inside_headers(void **state)
{
	struct kw_spec spec;
	struct kw_layout l;
	uint64_t pfn;
	const char *path = codec_dump(KW_ZLIB, &spec, &l, &pfn);
	patch64(path, desc_off_of(&spec, &l, pfn), 100);
	expect_page_error(path, pfn, KT_ERR_CORRUPT, KT_PAGE_CORRUPT,
			  "inside the headers");
	path = codec_dump(KW_ZLIB, &spec, &l, &pfn);
	patch64(path, desc_off_of(&spec, &l, pfn), UINT64_MAX - 10);
	expect_page_error(path, pfn, KT_ERR_CORRUPT, KT_PAGE_CORRUPT,
			  "inside the headers");
}

static void test_data_offset_past_end_of_file(void **state)
{
	struct kw_spec spec;
	struct kw_layout l;
	uint64_t pfn;
	const char *path = codec_dump(KW_ZLIB, &spec, &l, &pfn);
	patch64(path, desc_off_of(&spec, &l, pfn), l.file_size - 4);
	expect_page_error(path, pfn, KT_ERR_MISSING, KT_PAGE_MISSING,
			  "past the end of the file");
}

/* Garbage where a page's compressed data was: the codec must say so. */
static void test_decompression_failure_each_codec(void **state)
{
	static const struct {
		enum kw_codec codec;
		const char *name;
		size_t keep; /* leading bytes left intact */
	} cases[] = {
		{ KW_ZLIB, "zlib:", 0 },   { KW_ZLIB, "zlib:", 2 },
		{ KW_LZO, "lzo:", 0 },     { KW_SNAPPY, "snappy:", 0 },
		{ KW_SNAPPY, "snappy:", 2 }, { KW_ZSTD, "zstd:", 0 },
		{ KW_ZSTD, "zstd:", 6 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kw_spec spec;
		struct kw_layout l;
		uint64_t pfn, offset;
		uint32_t size, flags;
		const char *path = codec_dump(cases[i].codec, &spec, &l, &pfn);
		read_desc_of(path, &spec, &l, pfn, &offset, &size, &flags);
		assert_int_not_equal(flags, 0); /* really compressed */
		uint8_t junk[4096];
		memset(junk, 0xa5, sizeof(junk));
		patch_bytes(path, offset + cases[i].keep, junk, size - cases[i].keep);
		expect_page_error(path, pfn, KT_ERR_CORRUPT, KT_PAGE_PRESENT,
				  cases[i].name);
	}
}

/* A valid stream of the wrong length is corrupt too. */
static void test_decompressed_size_mismatch(void **state)
{
	struct kw_spec spec;
	struct kw_layout l;
	uint64_t pfn, offset;
	uint32_t size, flags;
	const char *path = codec_dump(KW_ZSTD, &spec, &l, &pfn);
	read_desc_of(path, &spec, &l, pfn, &offset, &size, &flags);
	uint8_t half[2048] = { 1 }, packed[4096];
	size_t n = ZSTD_compress(packed, sizeof(packed), half, sizeof(half), 1);
	assert_false(ZSTD_isError(n));
	patch_bytes(path, offset, packed, n);
	patch32(path, desc_off_of(&spec, &l, pfn) + 8, (uint32_t)n);
	expect_page_error(path, pfn, KT_ERR_CORRUPT, KT_PAGE_PRESENT,
			  "decompressed to 2048 bytes, expected 4096");
}

static void test_truncated_descriptor_table(void **state)
{
	struct kw_spec spec = base_spec();
	struct kw_layout l;
	const char *path = write_fixture(&spec, "cut.kdump", &l);
	uint64_t keep = 40; /* descriptors left whole */
	truncate_to(path, l.descs_off + keep * 24 + 10);
	struct kt_dump *dump = open_ok(path);
	const struct kt_dump_info *info = kt_dump_info(dump);
	assert_true(info->truncated);
	assert_false(info->incomplete);
	assert_int_equal(info->pages_present, kw_pages_dumped(&spec));
	/* Every page lost: the data area is gone too. */
	assert_int_equal(info->pages_missing, kw_pages_dumped(&spec));
	uint64_t pfn = 0;
	while (!kw_pfn_dumped(&spec, pfn) || kw_desc_index(&spec, pfn) < keep)
		pfn++;
	char page_name[32];
	snprintf(page_name, sizeof(page_name), "page 0x%llx", (unsigned long long)pfn);
	uint8_t buf[4096];
	expect_error(kt_dump_read_page(dump, pfn, buf), KT_ERR_MISSING, path,
		     page_name, "descriptor", NULL);
	assert_int_equal(kt_dump_page_status(dump, pfn), KT_PAGE_MISSING);
	kt_dump_close(dump);
}

static void test_truncated_data_keeps_earlier_pages(void **state)
{
	struct kw_spec spec = base_spec();
	spec.zero_every = 0; /* no shared zero page: data in pfn order */
	struct kw_layout l;
	const char *path = write_fixture(&spec, "cut.kdump", &l);
	uint64_t cut = l.data_off + (l.file_size - l.data_off) / 2;
	truncate_to(path, cut);
	struct kt_dump *dump = open_ok(path);
	const struct kt_dump_info *info = kt_dump_info(dump);
	assert_true(info->truncated);
	uint64_t ok = 0, missing = 0;
	for (uint64_t pfn = 0; pfn < spec.max_pfn; pfn++) {
		if (!kw_pfn_dumped(&spec, pfn))
			continue;
		uint64_t offset;
		uint32_t size, flags;
		read_desc_of(path, &spec, &l, pfn, &offset, &size, &flags);
		if (offset + size <= cut) {
			expect_page(dump, &spec, pfn);
			ok++;
			continue;
		}
		uint8_t buf[4096];
		assert_int_equal(kt_dump_page_status(dump, pfn), KT_PAGE_MISSING);
		expect_error(kt_dump_read_page(dump, pfn, buf), KT_ERR_MISSING, path,
			     "truncated", NULL);
		missing++;
	}
	assert_true(ok > 0 && missing > 0);
	assert_int_equal(info->pages_missing, missing);
	kt_dump_close(dump);
}

static void test_incomplete_dump_reports_lost_pages(void **state)
{
	struct kw_spec spec = base_spec();
	spec.incomplete = 30;
	const char *path = write_fixture(&spec, "inc.kdump", NULL);
	struct kt_dump *dump = open_ok(path);
	const struct kt_dump_info *info = kt_dump_info(dump);
	assert_true(info->incomplete);
	assert_false(info->truncated);
	assert_int_equal(info->pages_missing, 30);
	uint64_t lost = 0;
	for (uint64_t pfn = 0; pfn < spec.max_pfn; pfn++) {
		if (!kw_pfn_dumped(&spec, pfn))
			continue;
		if (!kw_pfn_lost(&spec, pfn)) {
			expect_page(dump, &spec, pfn);
			continue;
		}
		uint8_t buf[4096];
		assert_int_equal(kt_dump_page_status(dump, pfn), KT_PAGE_MISSING);
		expect_error(kt_dump_read_page(dump, pfn, buf), KT_ERR_MISSING, path,
			     "never written (dump incomplete)", NULL);
		lost++;
	}
	assert_int_equal(lost, 30);
	kt_dump_close(dump);
}

/* ---- split parts and sets ---- */

static const char *split_part(const char *name, uint64_t start, uint64_t end,
			      const char *osrelease)
{
	struct kw_spec spec = base_spec();
	spec.split = true;
	spec.split_start = start;
	spec.split_end = end;
	spec.osrelease = osrelease;
	return write_fixture(&spec, name, NULL);
}

static void test_split_part_holds_its_range_only(void **state)
{
	const char *path = split_part("part2", 80, 200, "6.1.0-fixture");
	struct kt_dump *dump = open_ok(path);
	const struct kt_dump_info *info = kt_dump_info(dump);
	assert_true(info->split);
	assert_int_equal(info->split_start_pfn, 80);
	assert_int_equal(info->split_end_pfn, 200);
	struct kw_spec spec = base_spec();
	spec.split = true;
	spec.split_start = 80;
	spec.split_end = 200;
	assert_int_equal(info->pages_present, kw_pages_dumped(&spec));
	expect_all_pages(dump, &spec);
	kt_dump_close(dump);
}

static void test_split_set_reads_as_one_dump(void **state)
{
	const char *paths[3];
	paths[0] = split_part("s3", 202, 256, "6.1.0-fixture");
	paths[1] = split_part("s1", 0, 82, "6.1.0-fixture");
	paths[2] = split_part("s2", 82, 202, "6.1.0-fixture");
	struct kt_dump *dump;
	struct kt_error *err = kt_dump_open_set(paths, 3, &dump);
	if (err)
		fail_msg("open set: %s", kt_error_string(err));
	const struct kt_dump_info *info = kt_dump_info(dump);
	struct kw_spec spec = base_spec();
	assert_int_equal(info->nr_parts, 3);
	assert_int_equal(info->pages_present, kw_pages_dumped(&spec));
	assert_string_equal(info->path, paths[1]); /* the first by pfn */
	assert_int_equal(kt_dump_prstatus_count(dump), 2);
	assert_non_null(strstr(kt_dump_vmcoreinfo(dump, NULL), "OSRELEASE=6.1.0-fixture"));
	expect_all_pages(dump, &spec);
	/* Ranges run across part boundaries as if there were one file. */
	uint64_t start, end;
	assert_true(kt_dump_next_range(dump, 79, &start, &end));
	assert_int_equal(start, 80);
	assert_int_equal(end, 84); /* 84 is excluded */
	assert_true(kt_dump_next_range(dump, 199, &start, &end));
	assert_int_equal(start, 200);
	assert_int_equal(end, 204);
	kt_dump_close(dump);
}

static void expect_set_error(const char *const *paths, size_t n,
			     enum kt_error_code code, const char *what)
{
	struct kt_dump *dump = NULL;
	struct kt_error *err = kt_dump_open_set(paths, n, &dump);
	if (!err) {
		kt_dump_close(dump);
		fail_msg("split set opened, expected \"%s\"", what);
	}
	expect_error(err, code, NULL, what, NULL);
}

static void test_split_set_errors(void **state)
{
	const char *a = split_part("a", 0, 82, "6.1.0-fixture");
	const char *b = split_part("b", 82, 202, "6.1.0-fixture");
	const char *c = split_part("c", 202, 256, "6.1.0-fixture");
	const char *other = split_part("other", 82, 202, "6.1.0-other");
	const char *overlap = split_part("overlap", 150, 256, "6.1.0-fixture");
	struct kw_spec spec = base_spec();
	const char *whole = write_fixture(&spec, "whole", NULL);
	const char *gap[] = { a, c };
	expect_set_error(gap, 2, KT_ERR_FORMAT, "pfns 0x52-0xca are in no part");
	const char *tail[] = { a, b };
	expect_set_error(tail, 2, KT_ERR_FORMAT, "pfns 0xca-0x100 are in no part");
	const char *mixed[] = { a, other, c };
	expect_set_error(mixed, 3, KT_ERR_FORMAT, "not of the same dump");
	const char *over[] = { a, b, overlap };
	expect_set_error(over, 3, KT_ERR_FORMAT, "overlap");
	const char *plain[] = { a, whole };
	expect_set_error(plain, 2, KT_ERR_FORMAT, "not a part of a makedumpfile --split set");
	const char *absent[] = { a, fixture_path("absent") };
	expect_set_error(absent, 2, KT_ERR_IO, "absent");
	expect_set_error(NULL, 0, KT_ERR_USAGE, "no dump given");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_header_version_and_codec_reads_back),
		cmocka_unit_test(test_mixed_codecs_in_one_dump),
		cmocka_unit_test(test_vmcoreinfo_from_each_place),
		cmocka_unit_test(test_prstatus_notes_give_pid_and_registers),
		cmocka_unit_test(test_read_phys_crosses_pages),
		cmocka_unit_test(test_next_range_skips_excluded_and_holes),
		cmocka_unit_test(test_bad_magic),
		cmocka_unit_test(test_header_version_out_of_range),
		cmocka_unit_test(test_block_size_not_a_power_of_two),
		cmocka_unit_test(test_sub_header_size_out_of_range),
		cmocka_unit_test(test_bitmap_blocks_cannot_hold_two_bitmaps),
		cmocka_unit_test(test_bitmap_past_end_of_file),
		cmocka_unit_test(test_max_mapnr_larger_than_bitmap),
		cmocka_unit_test(test_split_range_out_of_range),
		cmocka_unit_test(test_note_area_past_end_of_file),
		cmocka_unit_test(test_vmcoreinfo_past_end_of_file),
		cmocka_unit_test(test_file_shorter_than_its_header),
		cmocka_unit_test(test_compressed_size_larger_than_page),
		cmocka_unit_test(test_descriptor_naming_several_codecs),
		cmocka_unit_test(test_raw_page_of_wrong_size),
		cmocka_unit_test(test_data_offset_inside_headers),
		cmocka_unit_test(test_data_offset_past_end_of_file),
		cmocka_unit_test(test_decompression_failure_each_codec),
		cmocka_unit_test(test_decompressed_size_mismatch),
		cmocka_unit_test(test_truncated_descriptor_table),
		cmocka_unit_test(test_truncated_data_keeps_earlier_pages),
		cmocka_unit_test(test_incomplete_dump_reports_lost_pages),
		cmocka_unit_test(test_split_part_holds_its_range_only),
		cmocka_unit_test(test_split_set_reads_as_one_dump),
		cmocka_unit_test(test_split_set_errors),
	};
	return cmocka_run_group_tests_name("dump_kdump", tests, fixture_dir_create,
					   fixture_dir_remove);
}
