// SPDX-License-Identifier: MIT
/*
 * The kallsyms scanner (kallsyms_scan.c): on images built here the way
 * scripts/kallsyms lays its tables out (absolute per-CPU or plain offsets,
 * u64 or u32 markers, one- and two-byte name lengths, the 6.4 order with
 * the offsets after the token index) it finds every
 * table, and the decoder reads the names back; damaged tables and noise
 * are refused.  On the bundled 6.1 sample it finds exactly the tables
 * VMCOREINFO names; on the pre-6.0 dumps ($KT_VMCORES_515, $KT_VMCORES_54)
 * the symbols it yields agree with VMCOREINFO, and its cost is printed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../lib/kernel/kallsyms_scan.h"
#include "../../lib/kernel/symtab.h"
#include "sample.h"

#define STEXT 0xffffffff81000000ull
#define NR_SYMBOLS 3000
#define PERCPU_SYMBOLS 100
#define TEXT_BYTES (256u << 10)
#define LONG_NAME 200

struct image {
	uint8_t *bytes;
	size_t size, cap;
	/* where the builder put each table, to compare with what is found */
	struct kt_kallsyms_tables tables;
};

struct layout {
	bool absolute_percpu;
	unsigned marker_width;
	bool long_name;  /* one name needs a two-byte length */
	bool after_tokens; /* 6.4+: offsets and relative_base after the token index */
};

static bool image_read(void *context, uint64_t address, void *buf, size_t len)
{
	const struct image *im = context;
	if (address < STEXT || address - STEXT > im->size ||
	    len > im->size - (address - STEXT))
		return false;
	memcpy(buf, im->bytes + (address - STEXT), len);
	return true;
}

static void put(struct image *im, const void *data, size_t len)
{
	if (im->size + len > im->cap) {
		im->cap = (im->size + len) * 2;
		im->bytes = realloc(im->bytes, im->cap);
		assert_non_null(im->bytes);
	}
	memcpy(im->bytes + im->size, data, len);
	im->size += len;
}

static void pad(struct image *im, size_t to, uint8_t fill)
{
	while (im->size % to)
		put(im, &fill, 1);
}

static uint64_t here(const struct image *im)
{
	return STEXT + im->size;
}

/* Single characters for what names use; "sym" at 1; pairs elsewhere. */
static void token_of(int t, char out[4])
{
	memset(out, 0, 4);
	if ((t >= '0' && t <= '9') || (t >= 'A' && t <= 'Z') ||
	    (t >= 'a' && t <= 'z') || t == '_')
		out[0] = (char)t;
	else if (t == 1)
		memcpy(out, "sym", 3);
	else {
		out[0] = (char)('a' + t % 26);
		out[1] = (char)('a' + (t / 26) % 26);
	}
}

/* With absolute per-CPU symbols the first are per-CPU offsets from 0;
 * without, they are ordinary symbols below _stext, and the base with them. */
static uint64_t relative_base_of(const struct layout *l)
{
	return l->absolute_percpu ? STEXT : STEXT - 0x40ull * PERCPU_SYMBOLS;
}

static uint64_t address_of(const struct layout *l, uint32_t i)
{
	if (!l->absolute_percpu)
		return relative_base_of(l) + 0x40ull * i;
	if (i < PERCPU_SYMBOLS)
		return 0x40ull * i;
	return STEXT + 0x40ull * (i - PERCPU_SYMBOLS);
}

/* The name of symbol i, type letter first; i == PERCPU_SYMBOLS is _stext. */
static void name_of(uint32_t i, const struct layout *l, char *out, size_t size)
{
	if (i == PERCPU_SYMBOLS)
		snprintf(out, size, "T_stext");
	else if (l->long_name && i == NR_SYMBOLS / 2)
		snprintf(out, size, "t%0*u", LONG_NAME, i);
	else
		snprintf(out, size, "%csym%05u", i < PERCPU_SYMBOLS ? 'D' : 'T', i);
}

static void put_name(struct image *im, const char *name)
{
	uint8_t entry[LONG_NAME + 8];
	size_t n = 0;
	for (const char *c = name; *c; c++) {
		if (strncmp(c, "sym", 3) == 0 && c != name) {
			entry[n++] = 1;
			c += 2;
		} else {
			entry[n++] = (uint8_t)*c;
		}
	}
	uint8_t length[2] = { (uint8_t)n, 0 };
	if (n >= 0x80) {
		length[0] = (uint8_t)(0x80 | (n & 0x7f));
		length[1] = (uint8_t)(n >> 7);
	}
	put(im, length, n >= 0x80 ? 2 : 1);
	put(im, entry, n);
}

static void put_names(struct image *im, const struct layout *l, uint64_t *marks)
{
	uint64_t names = here(im);
	char name[LONG_NAME + 8];
	for (uint32_t i = 0; i < NR_SYMBOLS; i++) {
		if (i % 256 == 0)
			marks[i / 256] = here(im) - names;
		name_of(i, l, name, sizeof(name));
		put_name(im, name);
	}
}

static void put_offsets(struct image *im, const struct layout *l)
{
	for (uint32_t i = 0; i < NR_SYMBOLS; i++) {
		uint64_t a = address_of(l, i);
		int32_t offset;
		if (!l->absolute_percpu)
			offset = (int32_t)(uint32_t)(a - relative_base_of(l));
		else if (i < PERCPU_SYMBOLS)
			offset = (int32_t)a;
		else
			offset = (int32_t)(int64_t)(STEXT - 1 - a);
		put(im, &offset, sizeof(offset));
	}
}

static void put_tokens(struct image *im)
{
	uint16_t index[256];
	uint64_t table = here(im);
	for (int t = 0; t < 256; t++) {
		char token[4];
		token_of(t, token);
		index[t] = (uint16_t)(here(im) - table);
		put(im, token, strlen(token) + 1);
	}
	pad(im, 8, 0);
	im->tables.token_index = here(im);
	put(im, index, sizeof(index));
}

static void put_names_markers_tokens(struct image *im, const struct layout *l)
{
	uint64_t count = NR_SYMBOLS;
	im->tables.num_syms = here(im);
	put(im, &count, sizeof(count));
	im->tables.names = here(im);
	uint64_t marks[(NR_SYMBOLS + 255) / 256];
	put_names(im, l, marks);
	pad(im, 8, 0);
	for (size_t k = 0; k < sizeof(marks) / sizeof(marks[0]); k++)
		put(im, &marks[k], l->marker_width);
	pad(im, 8, 0);
	im->tables.token_table = here(im);
	put_tokens(im);
}

/* 6.4+: num_syms, names, markers, tokens, offsets, relative_base, seqs. */
static void build_after_tokens(struct image *im, const struct layout *l)
{
	put_names_markers_tokens(im, l);
	pad(im, 8, 0);
	im->tables.offsets = here(im);
	put_offsets(im, l);
	pad(im, 8, 0);
	im->tables.relative_base = here(im);
	uint64_t base = relative_base_of(l);
	put(im, &base, sizeof(base));
	for (uint32_t i = 0; i < NR_SYMBOLS; i++) /* seqs_of_names: any order will do */
		put(im, (uint8_t[3]){ (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i }, 3);
	for (size_t i = 0; i < (64u << 10); i++)
		put(im, &(uint8_t){ 0 }, 1);
}

/* Text, then the tables in scripts/kallsyms order, then zeros. */
static void build(struct image *im, const struct layout *l)
{
	memset(im, 0, sizeof(*im));
	for (size_t i = 0; i < TEXT_BYTES; i++)
		put(im, &(uint8_t){ (uint8_t)(0x90 + i % 7) }, 1);
	pad(im, 8, 0);
	if (l->after_tokens) {
		build_after_tokens(im, l);
		return;
	}
	im->tables.offsets = here(im);
	put_offsets(im, l);
	pad(im, 8, 0);
	im->tables.relative_base = here(im);
	uint64_t base = relative_base_of(l), count = NR_SYMBOLS;
	put(im, &base, sizeof(base));
	im->tables.num_syms = here(im);
	put(im, &count, sizeof(count));
	im->tables.names = here(im);
	uint64_t marks[(NR_SYMBOLS + 255) / 256];
	put_names(im, l, marks);
	pad(im, 8, 0);
	for (size_t k = 0; k < sizeof(marks) / sizeof(marks[0]); k++)
		put(im, &marks[k], l->marker_width);
	pad(im, 8, 0);
	im->tables.token_table = here(im);
	put_tokens(im);
	for (size_t i = 0; i < (64u << 10); i++)
		put(im, &(uint8_t){ 0 }, 1);
}

static struct kt_error *scan(struct image *im, uint64_t stext,
			     struct kt_kallsyms_scan_result *r)
{
	struct kt_kallsyms_scan_input in = {
		.read = image_read, .context = im,
		.start = STEXT, .end = STEXT + im->size, .stext = stext,
	};
	return kt_kallsyms_scan(&in, r);
}

/* Decode what was found, from the image, and look names up. */
static void decode_found(struct image *im, const struct kt_kallsyms_scan_result *r,
			 const struct layout *l)
{
	const struct kt_kallsyms_tables *t = &r->tables;
	struct kt_kallsyms_buffers b = {
		.token_table = (const char *)im->bytes + (t->token_table - STEXT),
		.token_table_size = (size_t)(t->token_index - t->token_table),
		.token_index = (const uint16_t *)(im->bytes + (t->token_index - STEXT)),
		.names = im->bytes + (t->names - STEXT),
		.names_size = (size_t)(t->token_table - t->names),
		.offsets = (const int32_t *)(im->bytes + (t->offsets - STEXT)),
		.count = r->count,
		.relative_base = relative_base_of(l),
	};
	struct kt_symtab *table = kt_symtab_create();
	assert_non_null(table);
	struct kt_error *err = kt_kallsyms_decode(&b, table);
	if (!err)
		err = kt_symtab_finish(table);
	if (err)
		fail_msg("decode: %s", kt_error_string(err));
	uint64_t address;
	assert_true(kt_symtab_lookup_name(table, "_stext", &address));
	assert_int_equal(address, STEXT);
	char name[LONG_NAME + 8];
	for (uint32_t i = 0; i < NR_SYMBOLS; i += 97) {
		name_of(i, l, name, sizeof(name));
		if (!kt_symtab_lookup_name(table, name + 1, &address))
			fail_msg("symbol %u (%s) not decoded", i, name + 1);
		assert_int_equal(address, address_of(l, i));
	}
	kt_symtab_destroy(table);
}

static void check_layout(const struct layout *l)
{
	struct image im;
	build(&im, l);
	struct kt_kallsyms_scan_result r;
	struct kt_error *err = scan(&im, STEXT, &r);
	if (err)
		fail_msg("not found: %s", kt_error_string(err));
	assert_memory_equal(&r.tables, &im.tables, sizeof(im.tables));
	assert_int_equal(r.count, NR_SYMBOLS);
	assert_int_equal(r.marker_width, l->marker_width);
	assert_int_equal(r.absolute_percpu, l->absolute_percpu);
	decode_found(&im, &r, l);
	free(im.bytes);
}

static void test_absolute_percpu_u64_markers(void **state)
{
	check_layout(&(struct layout){ .absolute_percpu = true, .marker_width = 8 });
}

static void test_relative_u32_markers(void **state)
{
	check_layout(&(struct layout){ .absolute_percpu = false, .marker_width = 4 });
}

static void test_two_byte_name_length(void **state)
{
	check_layout(&(struct layout){ .absolute_percpu = true, .marker_width = 8,
				       .long_name = true });
}

static void expect_not_found(struct image *im, uint64_t stext, const char *why)
{
	struct kt_kallsyms_scan_result r;
	struct kt_error *err = scan(im, stext, &r);
	if (!err)
		fail_msg("%s: tables reported at 0x%" PRIx64, why, r.tables.names);
	assert_int_equal(err->code, KT_ERR_NOT_FOUND);
	/* Bounded: no page more than a probe pass and a page-by-page pass. */
	assert_true(r.pages_read <= 2 * (im->size / 4096 + 2) + 4096);
	kt_error_free(err);
}

static void test_tables_after_tokens_6_4(void **state)
{
	check_layout(&(struct layout){ .absolute_percpu = true, .marker_width = 4,
				       .after_tokens = true });
	check_layout(&(struct layout){ .absolute_percpu = false, .marker_width = 4,
				       .after_tokens = true, .long_name = true });
}

static void test_damaged_tables_are_refused(void **state)
{
	struct layout l = { .absolute_percpu = true, .marker_width = 8 };
	struct image im;
	build(&im, &l);
	/* _stext is not one of the addresses */
	expect_not_found(&im, STEXT + 8, "_stext not a symbol");
	/* a marker that disagrees with the names */
	uint64_t *marker = (uint64_t *)(im.bytes + (im.tables.token_table - STEXT) - 8);
	(*marker)++;
	expect_not_found(&im, STEXT, "marker off by one");
	(*marker)--;
	/* a token index that disagrees with the token strings */
	im.bytes[im.tables.token_index - STEXT + 2 * 77] ^= 1;
	expect_not_found(&im, STEXT, "token index");
	im.bytes[im.tables.token_index - STEXT + 2 * 77] ^= 1;
	/* num_syms larger than the offsets */
	uint32_t *count = (uint32_t *)(im.bytes + (im.tables.num_syms - STEXT));
	*count = 0x7fffffff;
	expect_not_found(&im, STEXT, "num_syms");
	free(im.bytes);
}

static void test_noise_is_not_kallsyms(void **state)
{
	struct image im = { 0 };
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < (1u << 20); i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		put(&im, &(uint8_t){ (uint8_t)x }, 1);
	}
	expect_not_found(&im, STEXT, "random bytes");
	memset(im.bytes, 0, im.size);
	expect_not_found(&im, STEXT, "zeros");
	free(im.bytes);
}

static void test_bad_input_is_refused(void **state)
{
	struct kt_kallsyms_scan_result r;
	struct kt_kallsyms_scan_input in = { .read = image_read, .start = STEXT,
					     .end = STEXT, .stext = STEXT };
	struct kt_error *err = kt_kallsyms_scan(&in, &r);
	assert_non_null(err);
	kt_error_free(err);
	in.end = STEXT + (1ull << 40);
	err = kt_kallsyms_scan(&in, &r);
	assert_non_null(err);
	kt_error_free(err);
}

/* ---- Real dumps ---------------------------------------------------- */

/* 6.1 names its tables in VMCOREINFO: the scan must find the same ones. */
static void test_sample_matches_vmcoreinfo(void **state)
{
	struct sample *s = *state;
	const struct kt_vmcoreinfo *vi = kt_kernel_vmcoreinfo(s->kernel);
	struct kt_kallsyms_tables want;
	if (!kt_vmcoreinfo_symbol(vi, "kallsyms_names", &want.names)) {
		fprintf(stderr, "sample has no SYMBOL(kallsyms_names): skipping\n");
		skip();
	}
	assert_true(kt_vmcoreinfo_symbol(vi, "kallsyms_num_syms", &want.num_syms));
	assert_true(kt_vmcoreinfo_symbol(vi, "kallsyms_token_table", &want.token_table));
	assert_true(kt_vmcoreinfo_symbol(vi, "kallsyms_token_index", &want.token_index));
	assert_true(kt_vmcoreinfo_symbol(vi, "kallsyms_offsets", &want.offsets));
	assert_true(kt_vmcoreinfo_symbol(vi, "kallsyms_relative_base", &want.relative_base));
	struct kt_kallsyms_scan_result r;
	struct kt_error *err = kt_kallsyms_scan_kernel(s->kernel, &r);
	if (err)
		fail_msg("scan: %s", kt_error_string(err));
	assert_memory_equal(&r.tables, &want, sizeof(want));
	assert_true(r.facts_matched >= 1);
}

static double now_ms(clockid_t clock)
{
	struct timespec t;
	clock_gettime(clock, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Every dump of a corpus: the scan finds tables whose symbols agree with VMCOREINFO. */
static int scan_corpus(const char *variable)
{
	const char *dir = getenv(variable);
	DIR *d = dir ? opendir(dir) : NULL;
	if (!d)
		return 0;
	int scanned = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s/vmcore.kdump", dir, e->d_name);
		struct kt_dump *dump;
		if (e->d_name[0] == '.' || kt_dump_open(path, &dump))
			continue;
		struct kt_kernel *k;
		struct kt_error *err = kt_kernel_open(dump, NULL, &k);
		if (err)
			fail_msg("%s: %s", path, kt_error_string(err));
		/* The CPU time is the cost; the wall time depends on the machine's load. */
		double t0 = now_ms(CLOCK_MONOTONIC), c0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
		struct kt_kallsyms_scan_result r;
		err = kt_kallsyms_scan_kernel(k, &r);
		double ms = now_ms(CLOCK_MONOTONIC) - t0, cpu = now_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
		if (err)
			fail_msg("%s: %s", path, kt_error_string(err));
		fprintf(stderr, "%s: %u symbols, %u pages read, %u candidates, "
				"%zu facts matched, %.1f ms CPU, %.1f ms wall\n", path, r.count,
			r.pages_read, r.candidates, r.facts_matched, cpu, ms);
		uint64_t stext, uts, found;
		assert_true(kt_vmcoreinfo_symbol(kt_kernel_vmcoreinfo(k), "_stext", &stext));
		assert_true(kt_vmcoreinfo_symbol(kt_kernel_vmcoreinfo(k), "init_uts_ns", &uts));
		assert_null(kt_symbol_address(k, "_stext", &found));
		assert_int_equal(found, stext);
		assert_null(kt_symbol_address(k, "init_uts_ns", &found));
		assert_int_equal(found, uts);
		assert_true(kt_symbol_count(k) == r.count);
		kt_kernel_close(k);
		kt_dump_close(dump);
		scanned++;
	}
	closedir(d);
	return scanned;
}

static void test_pre_6_0_dumps(void **state)
{
	int n = scan_corpus("KT_VMCORES_515") + scan_corpus("KT_VMCORES_54");
	if (!n) {
		fprintf(stderr, "no dump in KT_VMCORES_515 or KT_VMCORES_54: skipping\n");
		skip();
	}
}

int main(void)
{
	const struct CMUnitTest synthetic[] = {
		cmocka_unit_test(test_absolute_percpu_u64_markers),
		cmocka_unit_test(test_relative_u32_markers),
		cmocka_unit_test(test_two_byte_name_length),
		cmocka_unit_test(test_tables_after_tokens_6_4),
		cmocka_unit_test(test_damaged_tables_are_refused),
		cmocka_unit_test(test_noise_is_not_kallsyms),
		cmocka_unit_test(test_bad_input_is_refused),
		cmocka_unit_test(test_pre_6_0_dumps),
	};
	const struct CMUnitTest sample[] = {
		cmocka_unit_test(test_sample_matches_vmcoreinfo),
	};
	int failed = cmocka_run_group_tests_name("kallsyms scan", synthetic, NULL, NULL);
	failed += cmocka_run_group_tests_name("kallsyms scan, sample dump", sample,
					      sample_open, sample_close);
	return failed;
}
