// SPDX-License-Identifier: MIT
/*
 * The daemon's configuration: defaults, the INI file (keys, lists, bad
 * values named with their line), and the spool requests the CLI writes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ktriage/services.h"

static char *write_temp(const char *text)
{
	char *path = strdup("/tmp/kt-config-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static struct kt_error *load_text(struct kt_config *c, const char *text)
{
	struct kt_error *err = kt_config_defaults(c);
	assert_null(err);
	char *path = write_temp(text);
	err = kt_config_load(c, path, false);
	unlink(path);
	free(path);
	return err;
}

static void defaults(void **state)
{
	struct kt_config c;
	assert_null(kt_config_defaults(&c));
	assert_int_equal(c.nr_directories, 1);
	assert_string_equal(c.directories[0], "/var/crash");
	assert_string_equal(c.state_dir, "/var/lib/ktriage");
	assert_string_equal(c.pstore, "/var/lib/systemd/pstore");
	assert_int_equal(c.workers, 1);
	assert_true(c.journal && c.reports);
	kt_config_free(&c);
}

static void the_shipped_file_loads(void **state)
{
	/* conf/ktriaged.conf must say what the defaults say, and parse. */
	const char *path = "conf/ktriaged.conf";
	if (access(path, R_OK) != 0)
		path = "../../conf/ktriaged.conf";
	struct kt_config c;
	assert_null(kt_config_defaults(&c));
	struct kt_error *err = kt_config_load(&c, path, false);
	if (err)
		print_error("%s\n", kt_error_string(err));
	assert_null(err);
	assert_string_equal(c.directories[0], "/var/crash");
	kt_config_free(&c);
}

static void keys_and_lists(void **state)
{
	struct kt_config c;
	struct kt_error *err = load_text(&c,
		"; comment\n"
		"[watch]\n"
		"directories = /srv/crash /data/crash\n"
		"directories = /third\n"
		"settle_seconds = 0.5\n"
		"probe_retries = 2\n"
		"pstore =\n"
		"[analysis]\n"
		"workers = 4\n"
		"timeout_seconds = 30\n"
		"memory_limit_mb = 0\n"
		"[state]\n"
		"directory = /tmp/state\n"
		"[outputs]\n"
		"journal = no\n"
		"hook = logger -t ktriage\n");
	assert_null(err);
	assert_int_equal(c.nr_directories, 3);
	assert_string_equal(c.directories[0], "/srv/crash");
	assert_string_equal(c.directories[1], "/data/crash");
	assert_string_equal(c.directories[2], "/third");
	assert_true(c.settle_seconds == 0.5);
	assert_int_equal(c.probe_retries, 2);
	assert_string_equal(c.pstore, "");
	assert_int_equal(c.workers, 4);
	assert_true(c.timeout_seconds == 30);
	assert_int_equal(c.memory_limit_mb, 0);
	assert_string_equal(c.state_dir, "/tmp/state");
	assert_false(c.journal);
	assert_string_equal(c.hook, "logger -t ktriage");
	kt_config_free(&c);
}

static void expect_error(const char *text, const char *fragment)
{
	struct kt_config c;
	struct kt_error *err = load_text(&c, text);
	assert_non_null(err);
	if (!strstr(kt_error_string(err), fragment)) {
		print_error("error '%s' does not mention '%s'\n", kt_error_string(err), fragment);
		fail();
	}
	kt_error_free(err);
	kt_config_free(&c);
}

static void bad_values_name_their_line(void **state)
{
	expect_error("[analysis]\nworkers = 0\n", ":2: [analysis] workers: bad value '0'");
	expect_error("[analysis]\nworkers = many\n", "bad value 'many'");
	expect_error("[watch]\nsettle_seconds = -1\n", "settle_seconds");
	expect_error("[watch]\ndirectories = relative/dir\n", "not an absolute path");
	expect_error("[outputs]\njournal = perhaps\n", "journal");
	expect_error("[watch]\nfrobnicate = 1\n", "unknown key 'frobnicate' in section [watch]");
	expect_error("[state]\ndirectory = var/lib\n", "directory");
	expect_error("not an ini line\n", ":1:");
}

static void missing_file(void **state)
{
	struct kt_config c;
	assert_null(kt_config_defaults(&c));
	assert_null(kt_config_load(&c, "/nonexistent/ktriaged.conf", true));
	struct kt_error *err = kt_config_load(&c, "/nonexistent/ktriaged.conf", false);
	assert_non_null(err);
	assert_non_null(strstr(kt_error_string(err), "/nonexistent/ktriaged.conf"));
	kt_error_free(err);
	kt_config_free(&c);
}

static void spool_requests_are_whole_files(void **state)
{
	char dir[] = "/tmp/kt-spool-XXXXXX";
	assert_non_null(mkdtemp(dir));
	assert_null(kt_spool_request(dir, "scan", "/var/crash/2024"));
	char spool[256];
	snprintf(spool, sizeof(spool), "%s/spool", dir);
	DIR *d = opendir(spool);
	assert_non_null(d);
	struct dirent *e;
	int files = 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue; /* no temporary left behind either */
		files++;
		assert_memory_equal(e->d_name, "scan-", 5);
		char path[512], line[128] = "";
		snprintf(path, sizeof(path), "%s/%s", spool, e->d_name);
		FILE *f = fopen(path, "r");
		assert_non_null(f);
		assert_non_null(fgets(line, sizeof(line), f));
		fclose(f);
		assert_string_equal(line, "scan /var/crash/2024\n");
		unlink(path);
	}
	closedir(d);
	assert_int_equal(files, 1);
	rmdir(spool);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(the_shipped_file_loads),
		cmocka_unit_test(keys_and_lists),
		cmocka_unit_test(bad_values_name_their_line),
		cmocka_unit_test(missing_file),
		cmocka_unit_test(spool_requests_are_whole_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
