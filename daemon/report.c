// SPDX-License-Identifier: MIT
/*
 * The JSON report of each dump, STATE/reports/ID.json: the same document as
 * `ktriage analyze DUMP --json` (schema/report.schema.json).  Mode 0640:
 * a report quotes kernel memory (command lines, paths) and is not for
 * everyone.  Written to a temporary name, synced, then renamed, so a reader
 * sees the old report or the new, never half of one.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ktriaged.h"

/* Write a file atomically with the given mode; shared with prometheus.c. */
int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode);
int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode)
{
	char *tmp;
	if (asprintf(&tmp, "%s.%d.tmp", path, (int)getpid()) < 0)
		return -ENOMEM;
	int r = 0;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0) {
		r = -errno;
	} else {
		if ((r = kt_write_all(fd, data, len)) == 0 && fchmod(fd, mode) < 0)
			r = -errno;
		if (r == 0 && fsync(fd) < 0)
			r = -errno;
		if (close(fd) < 0 && r == 0)
			r = -errno;
		if (r == 0 && rename(tmp, path) < 0)
			r = -errno;
		if (r < 0)
			unlink(tmp);
	}
	free(tmp);
	return r;
}

int report_write(struct manager *m, int64_t dump_id, struct json_object *report,
		 char **path_out)
{
	char *path;
	if (asprintf(&path, "%s/%lld.json", m->reports_dir, (long long)dump_id) < 0)
		return -ENOMEM;
	const char *text = json_object_to_json_string_ext(report,
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t len = strlen(text);
	char *with_newline = malloc(len + 2);
	int r = -ENOMEM;
	if (with_newline) {
		memcpy(with_newline, text, len);
		with_newline[len] = '\n';
		r = write_file_atomic(path, with_newline, len + 1, 0640);
		free(with_newline);
	}
	if (r < 0) {
		log_error("Failed to write the report %s: %s", path, strerror(-r));
		free(path);
		return r;
	}
	*path_out = path;
	return 0;
}
