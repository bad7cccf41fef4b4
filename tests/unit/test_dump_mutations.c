// SPDX-License-Identifier: MIT
/*
 * Hostile input: fixtures with random bytes changed in their headers,
 * bitmaps, descriptors and notes (a fixed seed, so a failure repeats).
 * Whatever the change, opening either fails with a message naming the file
 * or the dump opens and every page, range and note can be asked for; under
 * ASan/UBSan (make check) nothing may read out of bounds, overflow or leak.
 */
#include <sys/stat.h>

#include "dump_fixture.h"

#define ROUNDS 300

/* xorshift64: the same mutations on every run. */
static uint64_t next_random(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

static uint8_t *load(const char *path, size_t *len)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	*len = (size_t)st.st_size;
	uint8_t *image = malloc(*len);
	assert_non_null(image);
	read_bytes(path, 0, image, *len);
	return image;
}

static void store(const char *path, const uint8_t *image, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, image, len), (ssize_t)len);
	close(fd);
}

/* Ask the dump for everything; errors are fine, crashes are not. */
static void exercise(struct kt_dump *dump)
{
	const struct kt_dump_info *info = kt_dump_info(dump);
	uint8_t *page = malloc(info->page_size);
	assert_non_null(page);
	uint64_t limit = info->max_pfn < 4096 ? info->max_pfn : 4096;
	for (uint64_t pfn = 0; pfn < limit; pfn++) {
		kt_dump_page_status(dump, pfn);
		kt_error_free(kt_dump_read_page(dump, pfn, page));
	}
	uint64_t pfn = 0, start, end, ranges = 0;
	while (ranges++ < 10000 && kt_dump_next_range(dump, pfn, &start, &end)) {
		assert_true(start >= pfn && end > start);
		pfn = end;
	}
	kt_error_free(kt_dump_read_phys(dump, 4096 - 8, page, 16));
	for (size_t i = 0; i < kt_dump_note_count(dump); i++)
		assert_non_null(kt_dump_note(dump, i)->name);
	kt_dump_vmcoreinfo(dump, NULL);
	free(page);
	kt_error_free(NULL);
}

/*
 * Change 1-8 bytes of the image within [0, span), open, exercise.  Most
 * changes land in the fields that steer the reader.
 */
static void mutate_and_read(const char *name, const uint8_t *pristine,
			    size_t len, size_t span, uint64_t seed)
{
	uint8_t *image = malloc(len);
	assert_non_null(image);
	const char *path = fixture_path(name);
	uint64_t state = seed;
	for (int round = 0; round < ROUNDS; round++) {
		memcpy(image, pristine, len);
		int changes = 1 + (int)(next_random(&state) % 8);
		for (int c = 0; c < changes; c++) {
			size_t at = (size_t)(next_random(&state) % span);
			image[at] = (uint8_t)next_random(&state);
		}
		size_t cut = len;
		if (next_random(&state) % 8 == 0) /* sometimes cut short too */
			cut = (size_t)(next_random(&state) % len);
		store(path, image, cut);
		struct kt_dump *dump;
		struct kt_error *err = kt_dump_open(path, &dump);
		if (err) {
			if (!strstr(kt_error_string(err), path) &&
			    err != &kt_error_out_of_memory)
				fail_msg("round %d: message does not name the file: %s",
					 round, kt_error_string(err));
			kt_error_free(err);
			continue;
		}
		exercise(dump);
		kt_dump_close(dump);
	}
	free(image);
}

static void test_mutated_kdump(void **state)
{
	struct kw_spec spec;
	kw_spec_default(&spec);
	spec.max_pfn = 512;
	spec.exclude_every = 4;
	spec.zero_every = 9;
	spec.codecs[0] = KW_ZLIB;
	spec.codecs[1] = KW_ZSTD;
	spec.codecs[2] = KW_LZO;
	spec.codecs[3] = KW_SNAPPY;
	spec.nr_codecs = 4;
	struct kw_layout l;
	const char *path = write_fixture(&spec, "pristine.kdump", &l);
	size_t len;
	uint8_t *pristine = load(path, &len);
	/* Header + sub-header + notes, then everything up to some page data. */
	mutate_and_read("mutant.kdump", pristine, len, l.sub_header_off + 1024, 1);
	mutate_and_read("mutant.kdump", pristine, len, l.data_off + 4096, 2);
	free(pristine);
}

static void test_mutated_flattened(void **state)
{
	struct kw_spec spec;
	kw_spec_default(&spec);
	spec.max_pfn = 256;
	spec.flatten = true;
	const char *path = write_fixture(&spec, "pristine.flat", NULL);
	size_t len;
	uint8_t *pristine = load(path, &len);
	mutate_and_read("mutant.flat", pristine, len, len, 3);
	free(pristine);
}

static void test_mutated_elf(void **state)
{
	struct kw_spec spec;
	kw_spec_default(&spec);
	spec.format = KW_ELF;
	spec.max_pfn = 256;
	spec.exclude_every = 7;
	struct kw_layout l;
	const char *path = write_fixture(&spec, "pristine.elf", &l);
	size_t len;
	uint8_t *pristine = load(path, &len);
	mutate_and_read("mutant.elf", pristine, len, l.data_off, 4);
	free(pristine);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mutated_kdump),
		cmocka_unit_test(test_mutated_flattened),
		cmocka_unit_test(test_mutated_elf),
	};
	return cmocka_run_group_tests_name("dump_mutations", tests, fixture_dir_create,
					   fixture_dir_remove);
}
