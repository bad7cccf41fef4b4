// SPDX-License-Identifier: MIT
/*
 * Reading STATE/queue.json, the daemon's list of inputs not yet in the
 * store (daemon/pending.c writes it), for `ktriage list`.  The file is the
 * daemon's, but it is read like any input: bounded in size and count, every
 * member type-checked, a stale file (its daemon gone) ignored.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ktriage/config.h"
#include "ktriage/store.h"

#define MAX_PENDING_BYTES (8u << 20)
#define MAX_PENDING_JOBS 100000

void kt_pending_free(struct kt_pending_job *jobs, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(jobs[i].path);
		free(jobs[i].kind);
		free(jobs[i].state);
	}
	free(jobs);
}

static char *read_small_file(const char *path, struct kt_error **err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	char *text = NULL;
	if (fd < 0) {
		if (errno != ENOENT)
			*err = kt_error_create(KT_ERR_IO, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_PENDING_BYTES)
		*err = kt_error_create(KT_ERR_FORMAT, "%s: not a regular file of at most %u bytes",
				       path, MAX_PENDING_BYTES);
	else if (!(text = calloc(1, (size_t)st.st_size + 1)))
		*err = &kt_error_out_of_memory;
	else if (read(fd, text, (size_t)st.st_size) != st.st_size) {
		*err = kt_error_create(KT_ERR_IO, "%s: short read", path);
		free(text);
		text = NULL;
	}
	close(fd);
	return text;
}

static char *member_string(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return strdup(json_object_get_string(v));
}

/* The writer still runs (EPERM: it does, as another user). */
static bool writer_alive(struct json_object *root)
{
	struct json_object *v;
	if (!json_object_object_get_ex(root, "pid", &v) || !json_object_is_type(v, json_type_int))
		return false;
	int64_t pid = json_object_get_int64(v);
	return pid > 0 && pid < (1 << 30) && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

static struct kt_error *parse_jobs(const char *path, struct json_object *array,
				   struct kt_pending_job **jobs, size_t *count)
{
	size_t n = json_object_array_length(array);
	if (n > MAX_PENDING_JOBS)
		return kt_error_create(KT_ERR_FORMAT, "%s: %zu jobs, more than %u", path, n,
				       MAX_PENDING_JOBS);
	struct kt_pending_job *list = calloc(n ? n : 1, sizeof(*list));
	if (!list)
		return &kt_error_out_of_memory;
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(array, i), *since;
		struct kt_pending_job job = { .path = member_string(o, "path"),
					      .kind = member_string(o, "kind"),
					      .state = member_string(o, "state") };
		if (json_object_object_get_ex(o, "since", &since))
			job.since = json_object_get_double(since);
		if (!job.path || !job.kind || !job.state) {
			free(job.path);
			free(job.kind);
			free(job.state);
			continue; /* not one of ours: skipped, the others still shown */
		}
		list[used++] = job;
	}
	*jobs = list;
	*count = used;
	return NULL;
}

struct kt_error *kt_pending_read(const char *state_dir, struct kt_pending_job **jobs,
				 size_t *count)
{
	*jobs = NULL;
	*count = 0;
	char *path = kt_state_path(state_dir, KT_PENDING_FILE);
	if (!path)
		return &kt_error_out_of_memory;
	struct kt_error *err = NULL;
	char *text = read_small_file(path, &err);
	struct json_object *root = text ? json_tokener_parse(text) : NULL, *array;
	if (text && !root)
		err = kt_error_create(KT_ERR_FORMAT, "%s: not JSON", path);
	else if (root && writer_alive(root) &&
		 json_object_object_get_ex(root, "jobs", &array) &&
		 json_object_is_type(array, json_type_array))
		err = parse_jobs(path, array, jobs, count);
	json_object_put(root);
	free(text);
	free(path);
	return err;
}
