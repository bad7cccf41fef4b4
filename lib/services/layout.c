// SPDX-License-Identifier: MIT
/* Crash directory layouts: which files under /var/crash are dumps or logs. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ktriage/layout.h"

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

const char *kt_layout_dump_magic(const uint8_t *head, size_t len)
{
	/* ELF64 core: class 2 at e_ident[4], e_type ET_CORE (4) little-endian. */
	if (len >= 18 && memcmp(head, "\177ELF", 4) == 0 && head[4] == 2 &&
	    head[16] == 4 && head[17] == 0)
		return "plain";
	if (len >= 8 && (memcmp(head, "KDUMP   ", 8) == 0 ||
			 memcmp(head, "DISKDUMP", 8) == 0))
		return "plain";
	if (len >= 13 && memcmp(head, "makedumpfile", 13) == 0)
		return "flattened";
	return NULL;
}

/* Editors, copy tools, apport and kdump's own bookkeeping. */
static bool is_noise(const char *base)
{
	static const char *const suffixes[] = {
		"~", ".tmp", ".swp", ".lock", ".crash", ".upload", ".uploaded",
		".part", ".partial",
	};
	if (base[0] == '.' || base[0] == '\0')
		return true;
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
		if (has_suffix(base, suffixes[i]))
			return true;
	return false;
}

static bool is_partial_name(const char *base)
{
	return strstr(base, "-incomplete") || strstr(base, ".incomplete");
}

static bool is_dump_name(const char *base)
{
	return strcmp(base, "vmcore") == 0 || has_prefix(base, "vmcore.") ||
	       has_suffix(base, ".vmcore") || has_suffix(base, ".kdump") ||
	       has_suffix(base, ".flat");
}

static struct kt_layout_match match(enum kt_input_kind kind, const char *layout,
				    bool companion)
{
	return (struct kt_layout_match){ kind, layout, companion };
}

struct kt_layout_match kt_layout_classify(const char *path, bool in_pstore,
					  const uint8_t *head, size_t head_len)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (is_noise(base))
		return match(KT_INPUT_IGNORE, NULL, false);
	if (in_pstore)
		return strcmp(base, "dmesg.txt") == 0
			       ? match(KT_INPUT_LOG, "pstore", false)
			       : match(KT_INPUT_IGNORE, NULL, false);
	if (is_partial_name(base))
		return match(KT_INPUT_PARTIAL, NULL, false);
	if (strcmp(base, "vmcore-dmesg.txt") == 0)
		return match(KT_INPUT_LOG, "rhel-kdump", true);
	if (strcmp(base, "vmcore") == 0)
		return match(KT_INPUT_DUMP, "rhel-kdump", false);
	if (has_prefix(base, "dump.") && all_digits(base + 5))
		return match(KT_INPUT_DUMP, "kdump-tools", false);
	if (has_prefix(base, "dmesg.") && all_digits(base + 6))
		return match(KT_INPUT_LOG, "kdump-tools", true);
	const char *magic = kt_layout_dump_magic(head, head_len);
	if (magic)
		return match(KT_INPUT_DUMP, magic, false);
	if (is_dump_name(base))
		return match(KT_INPUT_DUMP, has_suffix(base, ".flat") ? "flattened" : "plain",
			     false);
	if (strcmp(base, "dmesg.txt") == 0 || has_suffix(base, "-dmesg.txt"))
		return match(KT_INPUT_LOG, "plain", true);
	return match(KT_INPUT_IGNORE, NULL, false);
}

bool kt_layout_dir_has_dump(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return false;
	bool found = false;
	struct dirent *e;
	while (!found && (e = readdir(d))) {
		if (e->d_type != DT_REG && e->d_type != DT_UNKNOWN)
			continue;
		uint8_t head[KT_LAYOUT_HEAD_SIZE];
		ssize_t n = 0;
		int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		if (fd >= 0) {
			n = read(fd, head, sizeof(head));
			close(fd);
		}
		struct kt_layout_match m = kt_layout_classify(e->d_name, false, head,
							      n > 0 ? (size_t)n : 0);
		found = m.kind == KT_INPUT_DUMP || m.kind == KT_INPUT_PARTIAL;
	}
	closedir(d);
	return found;
}

/*
 * Rank of a log name as the companion of a dump: kdump-tools' dmesg.STAMP of
 * the same STAMP as dump.STAMP first, then vmcore-dmesg.txt, then any other
 * companion log.  0: not a companion.
 */
static int companion_rank(const char *dump_base, const char *name)
{
	struct kt_layout_match m = kt_layout_classify(name, false, NULL, 0);
	if (m.kind != KT_INPUT_LOG || !m.companion)
		return 0;
	if (has_prefix(dump_base, "dump.") && has_prefix(name, "dmesg.") &&
	    strcmp(dump_base + 5, name + 6) == 0)
		return 3;
	return strcmp(name, "vmcore-dmesg.txt") == 0 ? 2 : 1;
}

bool kt_layout_companion_log(const char *dump_path, char *out, size_t size)
{
	const char *slash = strrchr(dump_path, '/');
	const char *base = slash ? slash + 1 : dump_path;
	char dir[4096];
	int dir_len = slash ? (int)(slash - dump_path) : 1;
	if (snprintf(dir, sizeof(dir), "%.*s", dir_len, slash ? dump_path : ".") >= (int)sizeof(dir))
		return false;
	if (slash && dir_len == 0)
		snprintf(dir, sizeof(dir), "/");
	DIR *d = opendir(dir);
	if (!d)
		return false;
	int best = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_type != DT_REG && e->d_type != DT_UNKNOWN)
			continue;
		int rank = companion_rank(base, e->d_name);
		char path[4096 + 256];
		if (rank > best && snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < (int)size) {
			memcpy(out, path, strlen(path) + 1);
			best = rank;
		}
	}
	closedir(d);
	return best > 0;
}
