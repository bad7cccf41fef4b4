// SPDX-License-Identifier: MIT
/*
 * Watching the crash directories: one inotify watch per directory, down to
 * max_depth levels (kdump writes /var/crash/DIR/vmcore), added before the
 * directory is scanned so that nothing written meanwhile is missed.  Events
 * only say "look at this file"; queue.c decides whether it is finished.
 *
 * A configured directory that does not exist yet (kdump makes /var/crash
 * late, or on the first dump) is waited for: its nearest existing ancestor
 * is watched for new directories, and the roots are scanned again as soon as
 * one appears, not at the next periodic rescan.
 *
 * All watches share one inotify descriptor of ours, indexed by watch
 * descriptor.  (sd_event_add_inotify keeps a descriptor open per watched
 * directory until the loop turns: a thousand new directories in one scan
 * ran out of descriptors under LimitNOFILE=1024 and their dumps were missed.)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ktriaged.h"

struct watch {
	struct watch *next;
	int wd;
	char *path;
	unsigned depth;
	bool pstore;
	bool awaiting;           /* an ancestor, watched for a missing root */
};

#define WATCH_MASK (IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE_SELF | \
		    IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW)

static void watch_free(struct watch *w)
{
	free(w->path);
	free(w);
}

static struct watch *by_wd(struct manager *m, int wd)
{
	return wd >= 0 && (size_t)wd < m->nr_watch_index ? m->watch_index[wd] : NULL;
}

static void watch_remove(struct manager *m, struct watch *w, bool still_watched)
{
	for (struct watch **p = &m->watches; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			log_debug("No longer watching %s", w->path);
			if (still_watched)
				inotify_rm_watch(m->inotify_fd, w->wd);
			m->watch_index[w->wd] = NULL;
			watch_free(w);
			return;
		}
}

void watch_free_all(struct manager *m)
{
	while (m->watches) {
		struct watch *w = m->watches;
		m->watches = w->next;
		watch_free(w);
	}
	m->inotify_source = sd_event_source_disable_unref(m->inotify_source);
	if (m->inotify_fd >= 0)
		close(m->inotify_fd);
	m->inotify_fd = -1;
	free(m->watch_index);
	m->watch_index = NULL;
	m->nr_watch_index = 0;
}

static char *join(const char *dir, const char *name)
{
	char *path;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return NULL;
	return path;
}

static void scan_roots(struct manager *m);

static void remove_awaiting(struct manager *m)
{
	for (struct watch **p = &m->watches; *p;) {
		struct watch *w = *p;
		if (w->awaiting) {
			*p = w->next;
			inotify_rm_watch(m->inotify_fd, w->wd);
			m->watch_index[w->wd] = NULL;
			watch_free(w);
		} else {
			p = &w->next;
		}
	}
}

/* Is dir/name on the way to a configured root (or the root itself)? */
static bool leads_to_a_root(struct manager *m, const char *dir, const char *name)
{
	char *path = join(strcmp(dir, "/") == 0 ? "" : dir, name);
	bool leads = false;
	size_t len = path ? strlen(path) : 0;
	for (size_t i = 0; path && i <= m->config.nr_directories && !leads; i++) {
		const char *root = i < m->config.nr_directories ? m->config.directories[i]
								 : m->config.pstore;
		leads = root && strncmp(root, path, len) == 0 &&
			(root[len] == '\0' || root[len] == '/');
	}
	free(path);
	return leads;
}

/* A directory appeared (or the ancestor went): maybe a root exists now. */
static int on_ancestor(struct manager *m, struct watch *w, const struct inotify_event *ev)
{
	if ((ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) ||
	    (ev->len && (ev->mask & IN_ISDIR) && leads_to_a_root(m, w->path, ev->name))) {
		remove_awaiting(m);
		scan_roots(m);
		queue_dispatch(m);
	}
	return 0;
}

static void on_event(struct manager *m, const struct inotify_event *ev)
{
	struct watch *w = by_wd(m, ev->wd);
	if (!w)
		return;
	if (w->awaiting) {
		on_ancestor(m, w, ev);
		return;
	}
	if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
		watch_remove(m, w, !(ev->mask & IN_IGNORED));
		return;
	}
	if (!ev->len)
		return;
	char *path = join(w->path, ev->name);
	if (!path)
		return;
	if (ev->mask & IN_ISDIR) {
		if ((ev->mask & (IN_CREATE | IN_MOVED_TO)) && w->depth < m->config.max_depth)
			watch_scan_tree(m, path, w->depth + 1, w->pstore, true, false);
	} else if (ev->mask & (IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO)) {
		queue_add(m, path, w->pstore, ORIGIN_EVENT);
	}
	free(path);
}

static struct watch *find_watch(struct manager *m, const char *path, bool awaiting)
{
	for (struct watch *w = m->watches; w; w = w->next)
		if (w->awaiting == awaiting && strcmp(w->path, path) == 0)
			return w;
	return NULL;
}

static int on_inotify(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct manager *m = userdata;
	union {
		struct inotify_event ev;
		char bytes[64 * (sizeof(struct inotify_event) + NAME_MAX + 1)];
	} buf;
	for (;;) {
		ssize_t n = read(fd, &buf, sizeof(buf));
		if (n <= 0)
			return 0;
		for (char *p = buf.bytes; p < buf.bytes + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				log_warning("inotify queue overflowed: rescanning everything");
				watch_scan_all(m);
				continue;
			}
			on_event(m, ev);
			if (m->inotify_fd != fd)
				return 0; /* the configuration was applied afresh meanwhile */
		}
	}
}

static int open_inotify(struct manager *m)
{
	if (m->inotify_fd >= 0)
		return 0;
	m->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (m->inotify_fd < 0) {
		log_error("inotify_init1: %m");
		return -errno;
	}
	int r = sd_event_add_io(m->event, &m->inotify_source, m->inotify_fd, EPOLLIN,
				on_inotify, m);
	if (r < 0)
		log_error("Failed to follow inotify events: %s", strerror(-r));
	return r;
}

static int index_watch(struct manager *m, struct watch *w)
{
	if ((size_t)w->wd >= m->nr_watch_index) {
		size_t n = m->nr_watch_index ? m->nr_watch_index : 64;
		while (n <= (size_t)w->wd)
			n *= 2;
		struct watch **grown = realloc(m->watch_index, n * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		memset(grown + m->nr_watch_index, 0, (n - m->nr_watch_index) * sizeof(*grown));
		m->watch_index = grown;
		m->nr_watch_index = n;
	}
	m->watch_index[w->wd] = w;
	return 0;
}

static int add_watch(struct manager *m, const char *dir, unsigned depth, bool pstore)
{
	int r = open_inotify(m);
	if (r < 0)
		return r;
	/* A configured directory may be a symbolic link (/var/crash -> /srv/crash);
	 * below it, links are not followed. */
	uint32_t mask = depth == 0 ? WATCH_MASK & ~(uint32_t)IN_DONT_FOLLOW : WATCH_MASK;
	int wd = inotify_add_watch(m->inotify_fd, dir, mask);
	if (wd < 0) {
		r = -errno;
		if (r != -ENOENT && r != -ENOTDIR)
			log_warning("Failed to watch %s: %m", dir);
		return r;
	}
	if (by_wd(m, wd))
		return 0; /* the same directory, by another name or again */
	struct watch *w = calloc(1, sizeof(*w));
	if (w)
		*w = (struct watch){ .wd = wd, .path = strdup(dir), .depth = depth,
				     .pstore = pstore };
	if (!w || !w->path || index_watch(m, w) < 0) {
		if (w)
			free(w->path);
		free(w);
		inotify_rm_watch(m->inotify_fd, wd);
		return -ENOMEM;
	}
	w->next = m->watches;
	m->watches = w;
	log_debug("Watching %s", dir);
	return 0;
}

static bool is_directory(int dirfd, const struct dirent *e)
{
	if (e->d_type != DT_UNKNOWN)
		return e->d_type == DT_DIR;
	struct stat st;
	return fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISDIR(st.st_mode);
}

static bool is_regular(int dirfd, const struct dirent *e)
{
	if (e->d_type != DT_UNKNOWN)
		return e->d_type == DT_REG;
	struct stat st;
	return fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISREG(st.st_mode);
}

/*
 * Watch (when add_watches) and scan a directory: every regular file is
 * offered to the queue, subdirectories are entered down to max_depth.
 * Symbolic links are not followed: kdump-tools leaves some beside its dumps.
 */
int watch_scan_tree(struct manager *m, const char *dir, unsigned depth,
		    bool pstore, bool add_watches, bool requested)
{
	if (add_watches)
		add_watch(m, dir, depth, pstore);
	DIR *d = opendir(dir);
	if (!d) {
		int r = -errno;
		if (r != -ENOENT)
			log_warning("Failed to scan %s: %m", dir);
		return r;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char *path = join(dir, e->d_name);
		if (!path)
			break;
		if (is_directory(dirfd(d), e)) {
			if (depth < m->config.max_depth)
				watch_scan_tree(m, path, depth + 1, pstore, add_watches,
						requested);
		} else if (is_regular(dirfd(d), e)) {
			queue_add(m, path, pstore, requested ? ORIGIN_REQUEST : ORIGIN_SCAN);
		}
		free(path);
	}
	closedir(d);
	return 0;
}

/* Watch the nearest existing ancestor of a missing root for new directories. */
static void await_root(struct manager *m, const char *root)
{
	char *ancestor = strdup(root);
	char *slash;
	struct stat st;
	if (!ancestor)
		return;
	do {
		slash = strrchr(ancestor, '/');
		if (!slash)
			break;
		slash[slash == ancestor] = '\0'; /* "/var" -> "/" */
	} while (stat(ancestor, &st) < 0 && slash != ancestor);
	if (!slash || find_watch(m, ancestor, true)) {
		free(ancestor);
		return;
	}
	int wd = open_inotify(m) < 0 ? -1 :
		 inotify_add_watch(m->inotify_fd, ancestor,
				   IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR);
	struct watch *w = wd >= 0 && !by_wd(m, wd) ? calloc(1, sizeof(*w)) : NULL;
	if (w) {
		*w = (struct watch){ .next = m->watches, .wd = wd, .path = ancestor,
				     .awaiting = true };
		if (index_watch(m, w) == 0) {
			m->watches = w;
			log_info("%s does not exist (yet): watching %s for it", root, ancestor);
			return;
		}
	}
	log_info("%s does not exist (yet): looking again at the next rescan", root);
	free(w);
	free(ancestor);
}

static void scan_roots(struct manager *m)
{
	for (size_t i = 0; i < m->config.nr_directories; i++) {
		const char *dir = m->config.directories[i];
		if (watch_scan_tree(m, dir, 0, false, true, false) == -ENOENT)
			await_root(m, dir);
	}
	if (m->config.pstore && *m->config.pstore &&
	    watch_scan_tree(m, m->config.pstore, 0, true, true, false) == -ENOENT)
		await_root(m, m->config.pstore);
}

/* The configured directories changed (start, SIGHUP): watch them afresh. */
int watch_apply_config(struct manager *m)
{
	watch_free_all(m);
	scan_roots(m);
	return 0;
}

void watch_scan_all(struct manager *m)
{
	scan_roots(m);
}
