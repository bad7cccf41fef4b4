// SPDX-License-Identifier: MIT
/*
 * The per-build cache's files (include/ktriage/build_cache.h):
 *
 *   DIR/<build-id>.<kind>.ktc
 *     header   "KTBUILD1", section count (u32), zero (u32),
 *              build ID (80 bytes, NUL-padded), kind (16 bytes, NUL-padded)
 *     table    per section: size (u64), CRC-32 (u32), zero (u32)
 *     data     the sections, back to back
 *
 * Trust: the file is ours but may be cut short or damaged (a full disk, a
 * crash mid-write is excluded by the rename); every size is checked
 * against the file's, every section against its CRC.  The build ID comes
 * from the dump, so it names a file only when it is plain hex.
 */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ktriage/build_cache.h"

#define MAGIC "KTBUILD1"
#define ID_BYTES 80
#define KIND_BYTES 16
#define SUFFIX ".ktc"
#define MAX_ENTRY_BYTES (256ull << 20)

struct file_header {
	char magic[8];
	uint32_t count, zero;
	char build_id[ID_BYTES];
	char kind[KIND_BYTES];
};

struct section_header {
	uint64_t size;
	uint32_t crc, zero;
};

static bool plain_name(const char *s, size_t max, bool hex)
{
	size_t n = strnlen(s, max);
	if (n == 0 || n == max)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool ok = hex ? (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
			      : c >= 'a' && c <= 'z';
		if (!ok)
			return false;
	}
	return true;
}

static struct kt_error *entry_path(const char *dir, const char *build_id,
				   const char *kind, char *path, size_t size)
{
	if (!plain_name(build_id, ID_BYTES, true) || !plain_name(kind, KIND_BYTES, false))
		return kt_error_create(KT_ERR_INVALID,
				       "build cache: BUILD-ID \"%.80s\" is not plain hex",
				       build_id);
	int n = snprintf(path, size, "%s/%s.%s" SUFFIX, dir, build_id, kind);
	if (n < 0 || (size_t)n >= size)
		return kt_error_create(KT_ERR_INVALID, "build cache: %s: path too long", dir);
	return NULL;
}

static uint32_t crc(const void *data, size_t size)
{
	return libdeflate_crc32(0, data, size);
}

void kt_build_cache_sections_free(size_t count, struct kt_build_cache_section *s)
{
	for (size_t i = 0; i < count; i++) {
		free(s[i].data);
		s[i] = (struct kt_build_cache_section){ 0 };
	}
}

/* The header and table agree with what is asked and with the file's size. */
static bool check_layout(const struct file_header *h, const struct section_header *t,
			 size_t count, const char *build_id, const char *kind,
			 uint64_t file_size)
{
	if (memcmp(h->magic, MAGIC, 8) != 0 || h->count != count ||
	    strncmp(h->build_id, build_id, ID_BYTES) != 0 ||
	    strncmp(h->kind, kind, KIND_BYTES) != 0)
		return false;
	uint64_t total = sizeof(*h) + count * sizeof(*t);
	for (size_t i = 0; i < count; i++) {
		if (t[i].size > MAX_ENTRY_BYTES)
			return false;
		total += t[i].size;
	}
	return total == file_size;
}

static bool read_sections(int fd, const struct section_header *t, size_t count,
			  struct kt_build_cache_section *s)
{
	for (size_t i = 0; i < count; i++) {
		s[i].size = (size_t)t[i].size;
		s[i].data = malloc(s[i].size ? s[i].size : 1);
		if (!s[i].data || kt_read_all(fd, s[i].data, s[i].size) < 0 ||
		    crc(s[i].data, s[i].size) != t[i].crc)
			return false;
	}
	return true;
}

static struct kt_error *miss(const char *path, bool damaged)
{
	if (damaged)
		unlink(path); /* rebuilt on the next write */
	return kt_error_create(KT_ERR_NOT_FOUND, "build cache: no entry %s", path);
}

/* The entry open on fd, checked whole; its sections in s. */
static bool read_entry(int fd, const char *build_id, const char *kind, size_t count,
		       struct kt_build_cache_section *s)
{
	struct stat st;
	struct file_header h;
	struct section_header t[KT_BUILD_CACHE_MAX_SECTIONS];
	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	       (uint64_t)st.st_size <= MAX_ENTRY_BYTES &&
	       kt_read_all(fd, &h, sizeof(h)) == 0 && kt_read_all(fd, t, count * sizeof(*t)) == 0 &&
	       check_layout(&h, t, count, build_id, kind, (uint64_t)st.st_size) &&
	       read_sections(fd, t, count, s);
}

struct kt_error *kt_build_cache_get(const char *dir, const char *build_id,
				    const char *kind, size_t count,
				    struct kt_build_cache_section *sections)
{
	char path[4096];
	struct kt_error *err = entry_path(dir, build_id, kind, path, sizeof(path));
	if (err)
		return err;
	if (count > KT_BUILD_CACHE_MAX_SECTIONS)
		return kt_error_create(KT_ERR_INVALID, "build cache: %zu sections", count);
	memset(sections, 0, count * sizeof(*sections));
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return miss(path, false);
	bool ok = read_entry(fd, build_id, kind, count, sections);
	if (ok)
		(void)futimens(fd, NULL); /* recently used: the last to be trimmed */
	close(fd);
	if (ok)
		return NULL;
	kt_build_cache_sections_free(count, sections);
	return miss(path, true);
}

static bool write_entry(int fd, const char *build_id, const char *kind, size_t count,
			const struct kt_build_cache_section *s)
{
	struct file_header h = { .count = (uint32_t)count };
	memcpy(h.magic, MAGIC, 8);
	memcpy(h.build_id, build_id, strlen(build_id)); /* shorter: plain_name */
	memcpy(h.kind, kind, strlen(kind));
	struct section_header t[KT_BUILD_CACHE_MAX_SECTIONS] = { { 0 } };
	for (size_t i = 0; i < count; i++)
		t[i] = (struct section_header){ s[i].size, crc(s[i].data, s[i].size), 0 };
	if (kt_write_all(fd, &h, sizeof(h)) < 0 || kt_write_all(fd, t, count * sizeof(*t)) < 0)
		return false;
	for (size_t i = 0; i < count; i++)
		if (kt_write_all(fd, s[i].data, s[i].size) < 0)
			return false;
	return true;
}

struct kt_error *kt_build_cache_write(int fd, const char *build_id, const char *kind,
				      size_t count,
				      const struct kt_build_cache_section *sections)
{
	char path[4096];
	struct kt_error *err = entry_path(".", build_id, kind, path, sizeof(path));
	if (err)
		return err;
	if (count > KT_BUILD_CACHE_MAX_SECTIONS)
		return kt_error_create(KT_ERR_INVALID, "build cache: %zu sections", count);
	if (!write_entry(fd, build_id, kind, count, sections))
		return kt_error_create(KT_ERR_IO, "build cache: writing %s: %s", path,
				       strerror(errno));
	return NULL;
}

static void trim(const char *dir, uint64_t max_bytes);

/* The header's names, checked before they name a file. */
static bool header_names(int fd, struct file_header *h)
{
	if (pread(fd, h, sizeof(*h), 0) != (ssize_t)sizeof(*h) ||
	    memcmp(h->magic, MAGIC, 8) != 0 || h->count > KT_BUILD_CACHE_MAX_SECTIONS)
		return false;
	h->build_id[ID_BYTES - 1] = h->kind[KIND_BYTES - 1] = '\0';
	return plain_name(h->build_id, ID_BYTES, true) && plain_name(h->kind, KIND_BYTES, false);
}

struct kt_error *kt_build_cache_adopt(const char *dir, int fd, uint64_t max_bytes)
{
	struct stat st;
	if (fstat(fd, &st) != 0 || st.st_size == 0)
		return kt_error_create(KT_ERR_NOT_FOUND, "build cache: nothing to adopt");
	struct file_header h;
	struct kt_build_cache_section s[KT_BUILD_CACHE_MAX_SECTIONS];
	memset(s, 0, sizeof(s));
	bool ok = header_names(fd, &h) && lseek(fd, 0, SEEK_SET) == 0 &&
		  read_entry(fd, h.build_id, h.kind, h.count, s);
	kt_build_cache_sections_free(KT_BUILD_CACHE_MAX_SECTIONS, s);
	if (!ok)
		return kt_error_create(KT_ERR_FORMAT, "build cache: a worker's entry is damaged");
	char path[4096], tmp[4096 + 16], self[64];
	struct kt_error *err = entry_path(dir, h.build_id, h.kind, path, sizeof(path));
	if (err)
		return err;
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	snprintf(tmp, sizeof(tmp), "%s/.adopt.%d", dir, (int)getpid());
	unlink(tmp);
	if (linkat(AT_FDCWD, self, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) != 0 ||
	    rename(tmp, path) != 0) {
		int saved = errno;
		unlink(tmp);
		return kt_error_create(KT_ERR_IO, "build cache: %s: %s", path, strerror(saved));
	}
	trim(dir, max_bytes);
	return NULL;
}

struct entry_file {
	char name[256];
	uint64_t size;
	struct timespec used;
};

static int older_first(const void *a, const void *b)
{
	const struct entry_file *x = a, *y = b;
	if (x->used.tv_sec != y->used.tv_sec)
		return x->used.tv_sec < y->used.tv_sec ? -1 : 1;
	return (x->used.tv_nsec > y->used.tv_nsec) - (x->used.tv_nsec < y->used.tv_nsec);
}

static bool is_entry_name(const char *name)
{
	size_t n = strlen(name), s = strlen(SUFFIX);
	return name[0] != '.' && n > s && n < 256 && strcmp(name + n - s, SUFFIX) == 0;
}

/* The entries of dir, at most max of them (a directory of ours is small). */
static size_t list_entries(int dfd, struct entry_file *files, size_t max, uint64_t *total)
{
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return 0;
	}
	size_t n = 0;
	*total = 0;
	for (struct dirent *e; n < max && (e = readdir(d));) {
		struct stat st;
		if (!is_entry_name(e->d_name) ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		snprintf(files[n].name, sizeof(files[n].name), "%s", e->d_name);
		files[n].size = (uint64_t)st.st_size;
		files[n].used = st.st_mtim;
		*total += files[n].size;
		n++;
	}
	closedir(d);
	return n;
}

/* The oldest entries go until the rest fit max_bytes. */
static void trim(const char *dir, uint64_t max_bytes)
{
	enum { MAX_FILES = 1024 };
	struct entry_file *files = malloc(MAX_FILES * sizeof(*files));
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!files || dfd < 0) {
		free(files);
		if (dfd >= 0)
			close(dfd);
		return;
	}
	int keep = dup(dfd);
	uint64_t total;
	size_t n = list_entries(dfd, files, MAX_FILES, &total);
	qsort(files, n, sizeof(*files), older_first);
	for (size_t i = 0; i < n && total > max_bytes && keep >= 0; i++)
		if (unlinkat(keep, files[i].name, 0) == 0)
			total -= files[i].size;
	if (keep >= 0)
		close(keep);
	free(files);
}

struct kt_error *kt_build_cache_put(const char *dir, const char *build_id,
				    const char *kind, size_t count,
				    const struct kt_build_cache_section *sections,
				    uint64_t max_bytes)
{
	char path[4096], tmp[4096 + 16];
	struct kt_error *err = entry_path(dir, build_id, kind, path, sizeof(path));
	if (err)
		return err;
	if (count > KT_BUILD_CACHE_MAX_SECTIONS)
		return kt_error_create(KT_ERR_INVALID, "build cache: %zu sections", count);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return kt_error_create(KT_ERR_IO, "build cache: %s: %s", dir, strerror(errno));
	snprintf(tmp, sizeof(tmp), "%s/.put.XXXXXX", dir);
	int fd = mkstemp(tmp);
	if (fd < 0)
		return kt_error_create(KT_ERR_IO, "build cache: %s: %s", dir, strerror(errno));
	bool ok = write_entry(fd, build_id, kind, count, sections);
	ok = close(fd) == 0 && ok && fchmodat(AT_FDCWD, tmp, 0644, 0) == 0 &&
	     rename(tmp, path) == 0;
	if (!ok) {
		int saved = errno;
		unlink(tmp);
		return kt_error_create(KT_ERR_IO, "build cache: %s: %s", path, strerror(saved));
	}
	trim(dir, max_bytes);
	return NULL;
}

size_t kt_build_cache_open_inputs(const char *dir, struct kt_build_cache_input *inputs,
				  size_t max)
{
	DIR *d = dir ? opendir(dir) : NULL;
	size_t n = 0;
	for (struct dirent *e; d && n < max && (e = readdir(d));) {
		size_t len = strlen(e->d_name);
		if (!is_entry_name(e->d_name) || len >= sizeof(inputs[n].name))
			continue;
		int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		struct stat st;
		if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
			close(fd);
			fd = -1;
		}
		if (fd < 0)
			continue;
		memcpy(inputs[n].name, e->d_name, len + 1);
		inputs[n++].fd = fd;
	}
	if (d)
		closedir(d);
	return n;
}

void kt_build_cache_close_inputs(struct kt_build_cache_input *inputs, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (inputs[i].fd >= 0)
			close(inputs[i].fd);
}

/* The entry among inputs: read from the start of its descriptor, checked whole. */
static struct kt_error *get_input(const struct kt_build_cache_settings *c,
				  const char *build_id, const char *kind, size_t count,
				  struct kt_build_cache_section *sections)
{
	char name[4096];
	struct kt_error *err = entry_path(".", build_id, kind, name, sizeof(name));
	if (err)
		return err;
	memset(sections, 0, count * sizeof(*sections));
	for (size_t i = 0; i < c->nr_inputs; i++) {
		if (strcmp(c->inputs[i].name, name + 2) != 0)
			continue;
		if (lseek(c->inputs[i].fd, 0, SEEK_SET) == 0 &&
		    read_entry(c->inputs[i].fd, build_id, kind, count, sections))
			return NULL;
		kt_build_cache_sections_free(count, sections);
		break;
	}
	return kt_error_create(KT_ERR_NOT_FOUND, "build cache: no entry %s", name + 2);
}

bool kt_build_cache_fetch(void *context, const char *build_id, const char *kind,
			  size_t count, void **data, size_t *sizes)
{
	const struct kt_build_cache_settings *c = context;
	struct kt_build_cache_section s[KT_BUILD_CACHE_MAX_SECTIONS];
	if (count > KT_BUILD_CACHE_MAX_SECTIONS)
		return false;
	struct kt_error *err = c->sealed ? get_input(c, build_id, kind, count, s)
					 : kt_build_cache_get(c->dir, build_id, kind, count, s);
	if (err) {
		kt_error_free(err);
		return false;
	}
	for (size_t i = 0; i < count; i++) {
		data[i] = s[i].data;
		sizes[i] = s[i].size;
	}
	return true;
}

static int kind_index(const char *kind)
{
	if (strcmp(kind, "btf") == 0)
		return KT_BUILD_CACHE_BTF;
	return strcmp(kind, "kallsyms") == 0 ? KT_BUILD_CACHE_KALLSYMS : -1;
}

void kt_build_cache_keep(void *context, const char *build_id, const char *kind,
			 size_t count, void *const *data, const size_t *sizes)
{
	const struct kt_build_cache_settings *c = context;
	struct kt_build_cache_section s[KT_BUILD_CACHE_MAX_SECTIONS];
	int output = kind_index(kind);
	if (count > KT_BUILD_CACHE_MAX_SECTIONS || (c->outputs && output < 0))
		return;
	for (size_t i = 0; i < count; i++)
		s[i] = (struct kt_build_cache_section){ data[i], sizes[i] };
	struct kt_error *err =
		c->outputs ? kt_build_cache_write(c->outputs[output], build_id, kind, count, s)
			   : kt_build_cache_put(c->dir, build_id, kind, count, s,
						c->max_bytes ? c->max_bytes
							     : KT_BUILD_CACHE_DEFAULT_BYTES);
	kt_error_free(err);
}
