// SPDX-License-Identifier: MIT
/*
 * STATE/queue.json: the inputs ktriaged has seen but not yet recorded
 * (settling, waiting for or in a header probe, queued, running), so that
 * `ktriage list` shows them with their state before the store knows them.
 * Rewritten atomically once the current event is handled, removed on a clean
 * stop; it names the daemon's pid so a reader can tell a stale file.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ktriaged.h"

int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode);

static int pending_write(struct manager *m)
{
	char *path = kt_state_path(m->config.state_dir, KT_PENDING_FILE);
	struct json_object *root = json_object_new_object();
	struct json_object *jobs = queue_to_json(m);
	int r = -ENOMEM;
	if (path && root && jobs) {
		json_object_object_add(root, "pid", json_object_new_int64(getpid()));
		json_object_object_add(root, "jobs", jobs);
		jobs = NULL;
		const char *text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
								      JSON_C_TO_STRING_NOSLASHESCAPE);
		r = write_file_atomic(path, text, strlen(text), 0640);
		if (r < 0)
			log_warning("Failed to write %s: %s", path, strerror(-r));
	}
	json_object_put(jobs);
	json_object_put(root);
	free(path);
	return r;
}

static int on_defer(sd_event_source *s, void *userdata)
{
	struct manager *m = userdata;
	m->pending_defer = sd_event_source_disable_unref(m->pending_defer);
	pending_write(m);
	return 0;
}

void pending_schedule(struct manager *m)
{
	if (m->pending_defer || !m->event || m->stopping)
		return;
	if (sd_event_add_defer(m->event, &m->pending_defer, on_defer, m) < 0)
		pending_write(m);
}

void pending_remove(struct manager *m)
{
	char *path = kt_state_path(m->config.state_dir, KT_PENDING_FILE);
	if (path && unlink(path) < 0 && errno != ENOENT)
		log_warning("Failed to remove %s: %m", path);
	free(path);
}
