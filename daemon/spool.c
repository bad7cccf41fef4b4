// SPDX-License-Identifier: MIT
/*
 * Requests from the CLI: small files in STATE/spool, written under a
 * dot-name and renamed into place (kt_spool_request), one line each:
 *   scan DIR        triage what DIR holds now (ktriage notify, called by a
 *                   kdump post-save hook: the dump is complete)
 *   retriage ID     analyse dump ID again (ktriage retriage)
 * A file is the whole mechanism: it works while the daemon is down (read at
 * start-up), needs no socket in the hardened unit, and survives a crash.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ktriaged.h"

static void handle_scan(struct manager *m, const char *dir)
{
	struct stat st;
	if (dir[0] != '/' || stat(dir, &st) < 0) {
		log_warning("notify: %s: %s", dir, dir[0] != '/' ? "not an absolute path"
								 : strerror(errno));
		return;
	}
	log_info("notify: triaging %s now", dir);
	if (S_ISDIR(st.st_mode))
		watch_scan_tree(m, dir, 0, false, false, true);
	else
		queue_add(m, dir, false, ORIGIN_REQUEST);
}

static void handle_retriage(struct manager *m, const char *arg)
{
	struct kt_store_entry entry;
	struct kt_error *err = kt_store_find(m->store, arg, &entry);
	if (!err)
		err = kt_store_requeue(m->store, entry.id);
	if (err) {
		log_warning("retriage %s: %s", arg, kt_error_string(err));
		kt_error_free(err);
		return;
	}
	log_info("retriage: dump %lld (%s)", (long long)entry.id, entry.path);
	queue_add(m, entry.path, strcmp(entry.layout, "pstore") == 0, ORIGIN_RETRIAGE);
	kt_store_entry_clear(&entry);
}

static void handle_request(struct manager *m, const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	char line[4096];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		char *arg = strchr(line, ' ');
		if (!arg)
			continue;
		*arg++ = '\0';
		if (strcmp(line, "scan") == 0)
			handle_scan(m, arg);
		else if (strcmp(line, "retriage") == 0)
			handle_retriage(m, arg);
		else
			log_warning("%s: unknown request '%s'", path, line);
	}
	fclose(f);
	if (unlink(path) < 0)
		log_warning("Failed to remove %s: %m", path);
}

void spool_process_all(struct manager *m)
{
	DIR *d = opendir(m->spool_dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *path;
		if (asprintf(&path, "%s/%s", m->spool_dir, e->d_name) < 0)
			break;
		handle_request(m, path);
		free(path);
	}
	closedir(d);
	queue_dispatch(m);
}

static int on_spool(sd_event_source *s, const struct inotify_event *ev, void *userdata)
{
	struct manager *m = userdata;
	if (ev->len && ev->name[0] != '.') {
		char *path;
		if (asprintf(&path, "%s/%s", m->spool_dir, ev->name) >= 0) {
			handle_request(m, path);
			free(path);
		}
		queue_dispatch(m);
	} else if (ev->mask & IN_Q_OVERFLOW) {
		spool_process_all(m);
	}
	return 0;
}

int spool_start(struct manager *m)
{
	int r = sd_event_add_inotify(m->event, &m->spool_source, m->spool_dir,
				     IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR, on_spool, m);
	if (r < 0) {
		log_error("Failed to watch %s: %s", m->spool_dir, strerror(-r));
		return r;
	}
	spool_process_all(m);
	return 0;
}
