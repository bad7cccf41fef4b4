/* SPDX-License-Identifier: MIT */
/*
 * What the dump reader's unit tests share: a temporary directory, dumps
 * written there by the fixture writer, byte patches, and assertions on
 * errors that print what differed.  Included by one test file per binary.
 */
#ifndef KTRIAGE_TESTS_DUMP_FIXTURE_H
#define KTRIAGE_TESTS_DUMP_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/dump/internal.h"

#define KDUMP_WRITER_IMPLEMENTATION
#include "../fixtures/kdump_writer.h"

#define UNUSED __attribute__((unused))

static char fixture_dir[64];

static UNUSED int fixture_dir_create(void **state)
{
	snprintf(fixture_dir, sizeof(fixture_dir), "/tmp/kt-unit-XXXXXX");
	return mkdtemp(fixture_dir) ? 0 : -1;
}

static UNUSED int fixture_dir_remove(void **state)
{
	DIR *d = opendir(fixture_dir);
	if (!d)
		return -1;
	struct dirent *e;
	char path[512];
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", fixture_dir, e->d_name);
			unlink(path);
		}
	closedir(d);
	return rmdir(fixture_dir);
}

/* A path in the fixture directory; valid until the next call with slot. */
static UNUSED const char *fixture_path(const char *name)
{
	static char paths[8][512];
	static int next;
	char *p = paths[next++ % 8];
	snprintf(p, 512, "%s/%s", fixture_dir, name);
	return p;
}

static UNUSED const char *write_fixture(const struct kw_spec *spec,
					const char *name,
					struct kw_layout *layout)
{
	const char *path = fixture_path(name);
	char err[256];
	if (kw_write(spec, path, layout, err, sizeof(err)))
		fail_msg("fixture writer: %s: %s", path, err);
	return path;
}

static UNUSED void patch_bytes(const char *path, uint64_t off, const void *buf,
			       size_t len)
{
	int fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

static UNUSED void patch32(const char *path, uint64_t off, uint32_t v)
{
	patch_bytes(path, off, &v, sizeof(v));
}

static UNUSED void patch64(const char *path, uint64_t off, uint64_t v)
{
	patch_bytes(path, off, &v, sizeof(v));
}

static UNUSED void read_bytes(const char *path, uint64_t off, void *buf,
			      size_t len)
{
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

static UNUSED void truncate_to(const char *path, uint64_t size)
{
	assert_int_equal(truncate(path, (off_t)size), 0);
}

/* Fail unless err has the code and its message names file and each part. */
static UNUSED void expect_error(struct kt_error *err, enum kt_error_code code,
				const char *file, ...)
{
	if (!err)
		fail_msg("expected error %d naming %s, got success", code, file);
	const char *msg = kt_error_string(err);
	if (err->code != code)
		fail_msg("expected error code %d, got %d: %s", code, err->code, msg);
	if (file && !strstr(msg, file))
		fail_msg("message does not name the file %s: %s", file, msg);
	va_list ap;
	va_start(ap, file);
	for (const char *part; (part = va_arg(ap, const char *));)
		if (!strstr(msg, part))
			fail_msg("message lacks \"%s\": %s", part, msg);
	va_end(ap);
	kt_error_free(err);
}

static UNUSED struct kt_dump *open_ok(const char *path)
{
	struct kt_dump *dump = NULL;
	struct kt_error *err = kt_dump_open(path, &dump);
	if (err)
		fail_msg("%s: open failed: %s", path, kt_error_string(err));
	return dump;
}

static UNUSED void expect_open_error(const char *path, enum kt_error_code code,
				     const char *part)
{
	struct kt_dump *dump = NULL;
	struct kt_error *err = kt_dump_open(path, &dump);
	if (!err) {
		kt_dump_close(dump);
		fail_msg("%s: opened, expected an error with \"%s\"", path, part);
	}
	expect_error(err, code, path, part, NULL);
}

/* Read pfn and compare it with what the writer put there. */
static UNUSED void expect_page(struct kt_dump *dump, const struct kw_spec *spec,
			       uint64_t pfn)
{
	uint8_t got[4096], want[4096];
	assert_true(spec->block_size <= sizeof(got));
	struct kt_error *err = kt_dump_read_page(dump, pfn, got);
	if (err)
		fail_msg("page 0x%llx: %s", (unsigned long long)pfn,
			 kt_error_string(err));
	kw_page_contents(spec, pfn, want);
	if (memcmp(got, want, spec->block_size) != 0)
		fail_msg("page 0x%llx: contents differ from the writer's",
			 (unsigned long long)pfn);
}

/* The descriptor of pfn in a kdump fixture: {offset, size, flags}. */
static UNUSED void read_desc_of(const char *path, const struct kw_spec *spec,
				const struct kw_layout *l, uint64_t pfn,
				uint64_t *offset, uint32_t *size, uint32_t *flags)
{
	uint8_t d[24];
	read_bytes(path, l->descs_off + 24 * kw_desc_index(spec, pfn), d, sizeof(d));
	memcpy(offset, d, 8);
	memcpy(size, d + 8, 4);
	memcpy(flags, d + 12, 4);
}

static UNUSED uint64_t desc_off_of(const struct kw_spec *spec,
				   const struct kw_layout *l, uint64_t pfn)
{
	return l->descs_off + 24 * kw_desc_index(spec, pfn);
}

#endif
