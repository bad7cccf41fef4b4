// SPDX-License-Identifier: MIT
/*
 * Opening a dump: detect the format from its first bytes, hand it to the
 * back-end, and serve physical reads through the page cache.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* 1 MiB of decoded 4 KiB pages: plenty for kernel walks, flat in any dump. */
#define CACHE_PAGES 256
#define MAX_PAGE_SIZE (1u << 20)

static const struct kt_dump_ops *detect(const unsigned char head[8])
{
	if (memcmp(head, "KDUMP   ", 8) == 0)
		return &kt_kdump_ops;
	if (memcmp(head, ELFMAG, SELFMAG) == 0)
		return &kt_elf_ops;
	return NULL;
}

static struct kt_error *open_source(const char *path, int fd, struct kt_dump *dump)
{
	struct kt_source *file;
	struct kt_error *err;
	if (fd < 0) {
		err = kt_source_open_file(path, &file);
	} else {
		int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (own < 0)
			return kt_error_create(KT_ERR_IO, "%s: %s", path, strerror(errno));
		if ((err = kt_source_open_fd(own, path, &file)))
			close(own);
	}
	if (err)
		return err;
	if (!kt_source_is_flattened_stream(file)) {
		dump->source = file;
		return NULL;
	}
	err = kt_source_open_flattened(file, &dump->source);
	if (err) {
		kt_source_close(file);
		return err;
	}
	dump->info.format = "flattened";
	dump->info.truncated = kt_source_truncated(dump->source);
	return NULL;
}

static struct kt_error *check_head(struct kt_dump *dump)
{
	unsigned char head[8];
	struct kt_error *err = kt_source_read(dump->source, 0, head,
					      sizeof(head));
	if (err) {
		kt_error_free(err);
		return kt_error_create(KT_ERR_FORMAT,
				       "%s: too short to be a dump (%llu bytes)",
				       dump->info.path,
				       (unsigned long long)kt_source_size(dump->source));
	}
	dump->ops = detect(head);
	if (!dump->ops)
		return kt_error_create(KT_ERR_FORMAT,
				       "%s: not a vmcore (no ELF, KDUMP or makedumpfile signature)",
				       dump->info.path);
	return NULL;
}

struct kt_dump *kt_dump_alloc(const char *path)
{
	elf_version(EV_CURRENT);
	struct kt_dump *dump = calloc(1, sizeof(*dump));
	if (!dump)
		return NULL;
	dump->info.path = path;
	dump->info.dump_level = -1;
	dump->info.nr_cpus = -1;
	dump->info.nr_parts = 1;
	return dump;
}

struct kt_error *kt_dump_finish_open(struct kt_dump *dump)
{
	if (!kt_is_power_of_two(dump->info.page_size) ||
	    dump->info.page_size > MAX_PAGE_SIZE)
		return kt_error_create(KT_ERR_FORMAT,
				       "%s: page size %u is not a power of two up to %u",
				       dump->info.path, dump->info.page_size,
				       MAX_PAGE_SIZE);
	dump->cache = kt_page_cache_create(CACHE_PAGES, dump->info.page_size);
	return dump->cache ? NULL : &kt_error_out_of_memory;
}

struct kt_error *kt_dump_open(const char *path, struct kt_dump **out)
{
	return kt_dump_open_fd(-1, path, out);
}

struct kt_error *kt_dump_open_fd(int fd, const char *path, struct kt_dump **out)
{
	struct kt_dump *dump = kt_dump_alloc(path);
	if (!dump)
		return &kt_error_out_of_memory;
	struct kt_error *err = open_source(path, fd, dump);
	if (!err)
		err = check_head(dump);
	if (!err) {
		dump->info.contents = dump->ops->name;
		if (!dump->info.format)
			dump->info.format = dump->ops->name;
		err = dump->ops->open(dump);
	}
	if (!err)
		err = kt_dump_finish_open(dump);
	if (err) {
		kt_dump_close(dump);
		return err;
	}
	*out = dump;
	return NULL;
}

void kt_dump_close(struct kt_dump *dump)
{
	if (!dump)
		return;
	if (dump->ops && dump->ops->close)
		dump->ops->close(dump);
	kt_page_cache_destroy(dump->cache);
	kt_source_close(dump->source);
	free(dump->vmcoreinfo);
	free(dump->notes_blob);
	free(dump->notes);
	free(dump->prstatus);
	free(dump);
}

const struct kt_dump_info *kt_dump_info(const struct kt_dump *dump)
{
	return &dump->info;
}

struct kt_error *kt_dump_read_page(struct kt_dump *dump, uint64_t pfn,
				   void *buf)
{
	if (pfn >= dump->info.max_pfn)
		return kt_error_create(KT_ERR_EXCLUDED,
				       "%s: page 0x%llx is beyond the dump's last page 0x%llx",
				       dump->info.path, (unsigned long long)pfn,
				       (unsigned long long)dump->info.max_pfn);
	return dump->ops->read_page(dump, pfn, buf);
}

static struct kt_error *cached_page(struct kt_dump *dump, uint64_t pfn,
				    const void **page)
{
	*page = kt_page_cache_lookup(dump->cache, pfn);
	if (*page)
		return NULL;
	void *slot = kt_page_cache_slot(dump->cache, pfn);
	struct kt_error *err = kt_dump_read_page(dump, pfn, slot);
	if (err)
		return err;
	kt_page_cache_commit(dump->cache, pfn);
	*page = slot;
	return NULL;
}

struct kt_error *kt_dump_read_phys(struct kt_dump *dump, uint64_t paddr,
				   void *buf, size_t len)
{
	uint8_t *out = buf;
	uint64_t page_size = dump->info.page_size;
	while (len) {
		uint64_t pfn = paddr / page_size;
		size_t in = (size_t)(paddr % page_size);
		size_t chunk = page_size - in;
		if (chunk > len)
			chunk = len;
		const void *page;
		struct kt_error *err = cached_page(dump, pfn, &page);
		if (err)
			return err;
		memcpy(out, (const uint8_t *)page + in, chunk);
		out += chunk;
		paddr += chunk;
		len -= chunk;
	}
	return NULL;
}

enum kt_page_status kt_dump_page_status(struct kt_dump *dump, uint64_t pfn)
{
	if (pfn >= dump->info.max_pfn)
		return KT_PAGE_EXCLUDED;
	return dump->ops->page_status(dump, pfn);
}

const char *kt_page_status_name(enum kt_page_status status)
{
	switch (status) {
	case KT_PAGE_PRESENT:
		return "present";
	case KT_PAGE_EXCLUDED:
		return "excluded";
	case KT_PAGE_MISSING:
		return "missing";
	case KT_PAGE_CORRUPT:
		return "corrupt";
	}
	return "unknown";
}

bool kt_dump_next_range(struct kt_dump *dump, uint64_t pfn, uint64_t *start,
			uint64_t *end)
{
	if (pfn >= dump->info.max_pfn)
		return false;
	return dump->ops->next_range(dump, pfn, start, end);
}

const char *kt_dump_vmcoreinfo(const struct kt_dump *dump, size_t *len)
{
	if (len)
		*len = dump->vmcoreinfo_len;
	return dump->vmcoreinfo;
}

size_t kt_dump_prstatus_count(const struct kt_dump *dump)
{
	return dump->nr_prstatus;
}

const struct kt_prstatus *kt_dump_prstatus(const struct kt_dump *dump,
					   size_t index)
{
	return index < dump->nr_prstatus ? &dump->prstatus[index] : NULL;
}

size_t kt_dump_note_count(const struct kt_dump *dump)
{
	return dump->nr_notes;
}

const struct kt_note *kt_dump_note(const struct kt_dump *dump, size_t index)
{
	return index < dump->nr_notes ? &dump->notes[index] : NULL;
}

const char *kt_compression_name(unsigned mask, char *buf, size_t len)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ KT_COMPRESS_ZLIB, "zlib" },     { KT_COMPRESS_LZO, "lzo" },
		{ KT_COMPRESS_SNAPPY, "snappy" }, { KT_COMPRESS_ZSTD, "zstd" },
		{ KT_COMPRESS_NONE, "none" },
	};
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(mask & names[i].bit))
			continue;
		int n = snprintf(buf + used, len - used, "%s%s",
				 used ? "," : "", names[i].name);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	return buf;
}
