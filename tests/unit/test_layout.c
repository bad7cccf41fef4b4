// SPDX-License-Identifier: MIT
/*
 * Crash directory layouts: each file kdump (RHEL), kdump-tools (Debian),
 * makedumpfile and systemd-pstore leave behind is recognised for what it
 * is, files still being written are waited for, and everything else in
 * /var/crash (apport reports, editors' and copy tools' temporaries) is left
 * alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ktriage/services.h"

static const uint8_t no_head[1];

static void expect(const char *path, bool pstore, const uint8_t *head, size_t len,
		   enum kt_input_kind kind, const char *layout, bool companion)
{
	struct kt_layout_match m = kt_layout_classify(path, pstore, head, len);
	if (m.kind != kind) {
		print_error("%s: kind %d, expected %d\n", path, m.kind, kind);
		fail();
	}
	if (layout && (!m.layout || strcmp(m.layout, layout) != 0)) {
		print_error("%s: layout %s, expected %s\n", path, m.layout ? m.layout : "(none)",
			    layout);
		fail();
	}
	if (kind == KT_INPUT_DUMP || kind == KT_INPUT_LOG)
		assert_int_equal(m.companion, companion);
}

static void rhel_kdump(void **state)
{
	expect("/var/crash/127.0.0.1-2024-05-01-10:11:12/vmcore", false, no_head, 0,
	       KT_INPUT_DUMP, "rhel-kdump", false);
	expect("/var/crash/127.0.0.1-2024-05-01-10:11:12/vmcore-incomplete", false, no_head, 0,
	       KT_INPUT_PARTIAL, NULL, false);
	expect("/var/crash/127.0.0.1-2024-05-01-10:11:12/vmcore-dmesg.txt", false, no_head, 0,
	       KT_INPUT_LOG, "rhel-kdump", true);
	expect("/var/crash/127.0.0.1-2024-05-01-10:11:12/vmcore-dmesg-incomplete.txt", false,
	       no_head, 0, KT_INPUT_PARTIAL, NULL, false);
	expect("/var/crash/host-2024/vmcore.flat", false, no_head, 0, KT_INPUT_DUMP,
	       "flattened", false);
}

static void debian_kdump_tools(void **state)
{
	expect("/var/crash/202405011011/dump.202405011011", false, no_head, 0, KT_INPUT_DUMP,
	       "kdump-tools", false);
	expect("/var/crash/202405011011/dmesg.202405011011", false, no_head, 0, KT_INPUT_LOG,
	       "kdump-tools", true);
	expect("/var/crash/202405011011/dump-incomplete", false, no_head, 0, KT_INPUT_PARTIAL,
	       NULL, false);
	expect("/var/crash/kexec_cmd", false, no_head, 0, KT_INPUT_IGNORE, NULL, false);
	expect("/var/crash/linux-image-6.1.0-18-amd64-202405011011.crash", false, no_head, 0,
	       KT_INPUT_IGNORE, NULL, false);
}

static void plain_files_by_magic(void **state)
{
	uint8_t elf_core[32] = { 0x7f, 'E', 'L', 'F', 2, 1, 1, 0 };
	elf_core[16] = 4; /* ET_CORE */
	uint8_t elf_exec[32] = { 0x7f, 'E', 'L', 'F', 2, 1, 1, 0 };
	elf_exec[16] = 2; /* ET_EXEC: a program, not a dump */
	const uint8_t kdump[] = "KDUMP   \x06\0\0\0";
	const uint8_t flat[] = "makedumpfile\0\0\0\0";
	expect("/var/crash/anything", false, elf_core, sizeof(elf_core), KT_INPUT_DUMP, "plain", false);
	expect("/var/crash/a.out", false, elf_exec, sizeof(elf_exec), KT_INPUT_IGNORE, NULL, false);
	expect("/var/crash/crash-2024", false, kdump, sizeof(kdump), KT_INPUT_DUMP, "plain", false);
	expect("/var/crash/stream", false, flat, sizeof(flat), KT_INPUT_DUMP, "flattened", false);
	/* A short read is not a magic. */
	expect("/var/crash/stream", false, flat, 4, KT_INPUT_IGNORE, NULL, false);
}

static void plain_files_by_name(void **state)
{
	/* Named as dumps: recorded even when damaged, so the failure is seen. */
	expect("/var/crash/web01.vmcore", false, no_head, 0, KT_INPUT_DUMP, "plain", false);
	expect("/var/crash/vmcore.1", false, no_head, 0, KT_INPUT_DUMP, "plain", false);
	expect("/var/crash/x.kdump", false, no_head, 0, KT_INPUT_DUMP, "plain", false);
	expect("/var/crash/notes.txt", false, no_head, 0, KT_INPUT_IGNORE, NULL, false);
	expect("/var/crash/web01-dmesg.txt", false, no_head, 0, KT_INPUT_LOG, "plain", true);
}

static void noise_is_ignored(void **state)
{
	uint8_t kdump[] = "KDUMP   ";
	const char *noise[] = { "/var/crash/.vmcore.swp", "/var/crash/vmcore~",
				"/var/crash/vmcore.tmp", "/var/crash/_usr_bin_foo.0.crash",
				"/var/crash/vmcore.part", "/var/crash/.hidden" };
	for (size_t i = 0; i < sizeof(noise) / sizeof(noise[0]); i++)
		expect(noise[i], false, kdump, 8, KT_INPUT_IGNORE, NULL, false);
}

static void pstore_is_log_only(void **state)
{
	uint8_t kdump[] = "KDUMP   ";
	expect("/var/lib/systemd/pstore/1714557072/dmesg.txt", true, no_head, 0, KT_INPUT_LOG,
	       "pstore", false);
	expect("/var/lib/systemd/pstore/1714557072/dmesg-efi-171455707201001", true, no_head, 0,
	       KT_INPUT_IGNORE, NULL, false);
	/* Only logs come from pstore, whatever the bytes say. */
	expect("/var/lib/systemd/pstore/1714557072/vmcore", true, kdump, 8, KT_INPUT_IGNORE,
	       NULL, false);
}

static void companion_needs_a_dumpless_directory(void **state)
{
	char dir[] = "/tmp/kt-layout-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/vmcore-dmesg.txt", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("[    0.000000] Linux version 6.1.0\n", f);
	fclose(f);
	assert_false(kt_layout_dir_has_dump(dir));
	snprintf(path, sizeof(path), "%s/vmcore-incomplete", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_true(kt_layout_dir_has_dump(dir)); /* being written counts */
	unlink(path);
	snprintf(path, sizeof(path), "%s/vmcore-dmesg.txt", dir);
	unlink(path);
	rmdir(dir);
}

static void touch(const char *dir, const char *name)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
}

static void remove_in(const char *dir, const char *name)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

/* The log kdump saved beside a dump: the same stamp first, then vmcore-dmesg.txt. */
static void companion_log_of_a_dump(void **state)
{
	char dir[] = "/tmp/kt-layout-XXXXXX", out[512], want[512];
	assert_non_null(mkdtemp(dir));
	char dump[300];
	snprintf(dump, sizeof(dump), "%s/dump.202612060101", dir);
	touch(dir, "dump.202612060101");
	assert_false(kt_layout_companion_log(dump, out, sizeof(out)));
	touch(dir, "notes.txt");
	assert_false(kt_layout_companion_log(dump, out, sizeof(out)));
	touch(dir, "vmcore-dmesg.txt");
	assert_true(kt_layout_companion_log(dump, out, sizeof(out)));
	snprintf(want, sizeof(want), "%s/vmcore-dmesg.txt", dir);
	assert_string_equal(out, want);
	touch(dir, "dmesg.202612060101");
	assert_true(kt_layout_companion_log(dump, out, sizeof(out)));
	snprintf(want, sizeof(want), "%s/dmesg.202612060101", dir);
	assert_string_equal(out, want);
	/* Too small a buffer: no truncated path. */
	char tiny[8];
	assert_false(kt_layout_companion_log(dump, tiny, sizeof(tiny)));
	static const char *const made[] = { "dump.202612060101", "notes.txt", "vmcore-dmesg.txt",
					    "dmesg.202612060101" };
	for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++)
		remove_in(dir, made[i]);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rhel_kdump),
		cmocka_unit_test(debian_kdump_tools),
		cmocka_unit_test(plain_files_by_magic),
		cmocka_unit_test(plain_files_by_name),
		cmocka_unit_test(noise_is_ignored),
		cmocka_unit_test(pstore_is_log_only),
		cmocka_unit_test(companion_needs_a_dumpless_directory),
		cmocka_unit_test(companion_log_of_a_dump),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
