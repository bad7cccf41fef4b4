// SPDX-License-Identifier: MIT
/*
 * The running kernel's BTF, kept for its future dumps.  A kernel built
 * without BTF in its image (or a dump whose BTF pages are lost) can still
 * be read with types if ktriaged saw that kernel run: at start it copies
 * /sys/kernel/btf/vmlinux to STATE/btf/BUILD-ID.btf, the build ID read from
 * the kernel's own notes (/sys/kernel/notes, NT_GNU_BUILD_ID), and the
 * worker opens the kept files before its sandbox (which opens nothing) and
 * hands them to the library (kt_kernel_options.kept_btf),
 * which uses the file only for a dump of that build whose own BTF is
 * missing, and only if it agrees with the dump's VMCOREINFO.  It is not
 * the build cache (STATE/build-cache, ktriage/build_cache.h says why both).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ktriaged.h"

#define NT_GNU_BUILD_ID 3
#define MAX_NOTES (64u << 10)
#define MAX_BTF (64u << 20)

static size_t align4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* The GNU build ID in a run of ELF notes, as lowercase hex; false if none. */
static bool build_id_of(const unsigned char *notes, size_t size, char *hex, size_t hex_size)
{
	size_t at = 0;
	while (size - at >= 12) {
		uint32_t namesz, descsz, type;
		memcpy(&namesz, notes + at, 4);
		memcpy(&descsz, notes + at + 4, 4);
		memcpy(&type, notes + at + 8, 4);
		at += 12;
		if (namesz > size - at || align4(namesz) > size - at ||
		    descsz > size - at - align4(namesz))
			return false;
		const unsigned char *desc = notes + at + align4(namesz);
		if (type == NT_GNU_BUILD_ID && namesz == 4 && memcmp(notes + at, "GNU", 4) == 0 &&
		    descsz > 0 && descsz * 2 < hex_size) {
			for (uint32_t i = 0; i < descsz; i++)
				snprintf(hex + 2 * i, 3, "%02x", desc[i]);
			return true;
		}
		at += align4(namesz);
		if (align4(descsz) > size - at)
			return false;
		at += align4(descsz);
	}
	return false;
}

/* The whole of a small file; NULL (errno set) on failure or past max. */
static unsigned char *slurp(const char *path, size_t max, size_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	unsigned char *buf = malloc(max);
	size_t len = 0;
	ssize_t n = 0;
	while (buf && len < max && (n = read(fd, buf + len, max - len)) > 0)
		len += (size_t)n;
	int saved = errno;
	close(fd);
	if (!buf || n < 0 || len == max) {
		free(buf);
		errno = n < 0 ? saved : EFBIG;
		return NULL;
	}
	*size = len;
	return buf;
}

static int write_atomically(const char *path, const unsigned char *data, size_t size)
{
	char *tmp;
	if (asprintf(&tmp, "%s.tmp", path) < 0)
		return -ENOMEM;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	int r = fd < 0 ? -errno : 0;
	for (size_t done = 0; !r && done < size;) {
		ssize_t n = write(fd, data + done, size - done);
		if (n <= 0)
			r = n < 0 ? -errno : -EIO;
		else
			done += (size_t)n;
	}
	if (fd >= 0 && close(fd) < 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r)
		unlink(tmp);
	free(tmp);
	return r;
}

int btf_keep_running(const char *btf_dir, const char *sys_kernel)
{
	char *notes_path = NULL, *btf_path = NULL, *kept = NULL, id[130];
	unsigned char *notes = NULL, *btf = NULL;
	size_t notes_size = 0, btf_size = 0;
	int r = 0;
	if (asprintf(&notes_path, "%s/notes", sys_kernel) < 0 ||
	    asprintf(&btf_path, "%s/btf/vmlinux", sys_kernel) < 0) {
		r = -ENOMEM;
		goto out;
	}
	if (mkdir(btf_dir, 0750) < 0 && errno != EEXIST) {
		r = -errno;
		log_warning("Failed to create %s: %m", btf_dir);
		goto out;
	}
	notes = slurp(notes_path, MAX_NOTES, &notes_size);
	if (!notes || !build_id_of(notes, notes_size, id, sizeof(id))) {
		log_info("No build ID in %s: the running kernel's BTF is not kept", notes_path);
		goto out;
	}
	if (asprintf(&kept, "%s/%s.btf", btf_dir, id) < 0) {
		r = -ENOMEM;
		goto out;
	}
	if (access(kept, F_OK) == 0)
		goto out;
	btf = slurp(btf_path, MAX_BTF, &btf_size);
	if (!btf) {
		log_info("No %s (%m): the running kernel's BTF is not kept", btf_path);
		goto out;
	}
	r = write_atomically(kept, btf, btf_size);
	if (r < 0)
		log_warning("Failed to keep the running kernel's BTF in %s: %s", kept, strerror(-r));
	else
		log_info("Kept the running kernel's BTF (build %s) in %s", id, kept);
out:
	free(notes_path);
	free(btf_path);
	free(kept);
	free(notes);
	free(btf);
	return r;
}

/* A kept file's name: BUILD-ID.btf with a plain lowercase-hex ID. */
static bool kept_name(const char *name, char *id, size_t id_size)
{
	size_t len = strlen(name);
	if (len <= 4 || strcmp(name + len - 4, ".btf") != 0 || len - 4 >= id_size ||
	    strspn(name, "0123456789abcdef") != len - 4)
		return false;
	memcpy(id, name, len - 4);
	id[len - 4] = '\0';
	return true;
}

void open_kept_btf(const char *btf_dir, struct kept_btf_files *kept)
{
	kept->count = 0;
	DIR *dir = btf_dir ? opendir(btf_dir) : NULL;
	if (!dir)
		return;
	for (struct dirent *e; kept->count < KEPT_BTF_MAX && (e = readdir(dir));) {
		size_t i = kept->count;
		if (!kept_name(e->d_name, kept->ids[i], sizeof(kept->ids[i])))
			continue;
		int fd = openat(dirfd(dir), e->d_name,
				O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		struct stat st;
		if (fd < 0)
			continue;
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			close(fd);
			continue;
		}
		kept->files[i] = (struct kt_kept_btf){ .build_id = kept->ids[i], .fd = fd };
		kept->count++;
	}
	closedir(dir);
}
