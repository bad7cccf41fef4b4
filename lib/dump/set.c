// SPDX-License-Identifier: MIT
/*
 * A makedumpfile --split set read as one dump.  Each part is a whole
 * kdump file (its own header, full bitmaps, notes) that holds the pages of
 * one pfn range [start_pfn, end_pfn).  The parts are opened as ordinary
 * dumps, sorted by range, and each page request goes to the part whose
 * range holds it.  Messages about a page name the part it lives in.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct split_set {
	struct kt_dump **parts; /* sorted by split_start_pfn */
	size_t nr_parts;
};

static int compare_parts(const void *a, const void *b)
{
	const struct kt_dump *x = *(struct kt_dump *const *)a;
	const struct kt_dump *y = *(struct kt_dump *const *)b;
	uint64_t sx = x->info.split_start_pfn, sy = y->info.split_start_pfn;
	return sx < sy ? -1 : sx > sy;
}

/* The part whose range holds pfn, or NULL (pfn is past max_pfn). */
static struct kt_dump *part_of(const struct split_set *set, uint64_t pfn)
{
	size_t lo = 0, hi = set->nr_parts;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct kt_dump_info *info = &set->parts[mid]->info;
		if (pfn < info->split_start_pfn)
			hi = mid;
		else if (pfn >= info->split_end_pfn)
			lo = mid + 1;
		else
			return set->parts[mid];
	}
	return NULL;
}

static bool same_string(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* A part must be a split part of the same dump as the first one. */
static struct kt_error *check_part(const struct kt_dump *first,
				   const struct kt_dump *part)
{
	const struct kt_dump_info *a = &first->info, *b = &part->info;
	if (!b->split)
		return kt_error_create(KT_ERR_FORMAT,
				       "%s: not a part of a makedumpfile --split set",
				       b->path);
	if (a->page_size != b->page_size || a->max_pfn != b->max_pfn ||
	    !same_string(first->vmcoreinfo, part->vmcoreinfo))
		return kt_error_create(KT_ERR_FORMAT,
				       "%s: not of the same dump as %s (page size, max pfn or VMCOREINFO differ)",
				       b->path, a->path);
	return NULL;
}

/* Sorted parts must tile [0, max_pfn): no gap, no overlap. */
static struct kt_error *check_coverage(const struct split_set *set)
{
	uint64_t next = 0;
	for (size_t i = 0; i < set->nr_parts; i++) {
		const struct kt_dump_info *info = &set->parts[i]->info;
		if (info->split_start_pfn < next)
			return kt_error_create(KT_ERR_FORMAT,
					       "%s: pfns 0x%llx-0x%llx overlap %s",
					       info->path,
					       (unsigned long long)info->split_start_pfn,
					       (unsigned long long)info->split_end_pfn,
					       set->parts[i - 1]->info.path);
		if (info->split_start_pfn > next)
			return kt_error_create(KT_ERR_FORMAT,
					       "%s: pfns 0x%llx-0x%llx are in no part of the split set (is a part missing?)",
					       info->path, (unsigned long long)next,
					       (unsigned long long)info->split_start_pfn);
		next = info->split_end_pfn;
	}
	const struct kt_dump_info *last = &set->parts[set->nr_parts - 1]->info;
	if (next != last->max_pfn)
		return kt_error_create(KT_ERR_FORMAT,
				       "%s: pfns 0x%llx-0x%llx are in no part of the split set (is a part missing?)",
				       last->path, (unsigned long long)next,
				       (unsigned long long)last->max_pfn);
	return NULL;
}

/* The set's own info, notes and VMCOREINFO: the first part's, summed. */
static struct kt_error *summarise(struct kt_dump *dump)
{
	struct split_set *set = dump->format;
	const struct kt_dump *first = set->parts[0];
	struct kt_dump_info *info = &dump->info;
	const char *path = info->path;
	*info = first->info;
	info->path = path;
	info->nr_parts = set->nr_parts;
	info->pages_present = info->pages_missing = 0;
	info->split_end_pfn = set->parts[set->nr_parts - 1]->info.split_end_pfn;
	for (size_t i = 0; i < set->nr_parts; i++) {
		const struct kt_dump_info *p = &set->parts[i]->info;
		info->pages_present += p->pages_present;
		info->pages_missing += p->pages_missing;
		info->compression |= p->compression;
		info->truncated |= p->truncated;
		info->incomplete |= p->incomplete;
	}
	if (first->vmcoreinfo) {
		struct kt_error *err = kt_dump_set_vmcoreinfo(
			dump, first->vmcoreinfo, first->vmcoreinfo_len);
		if (err)
			return err;
	}
	if (!first->notes_len)
		return NULL;
	uint8_t *blob = malloc(first->notes_len);
	if (!blob)
		return &kt_error_out_of_memory;
	memcpy(blob, first->notes_blob, first->notes_len);
	/* Our own notes' VMCOREINFO must not replace the copy made above. */
	return kt_dump_set_notes(dump, blob, first->notes_len);
}

static struct kt_error *open_parts(struct kt_dump *dump,
				   const char *const *paths, size_t nr_paths)
{
	struct split_set *set = calloc(1, sizeof(*set));
	if (!set)
		return &kt_error_out_of_memory;
	dump->format = set;
	dump->ops = &kt_split_set_ops;
	set->parts = calloc(nr_paths, sizeof(*set->parts));
	if (!set->parts)
		return &kt_error_out_of_memory;
	for (size_t i = 0; i < nr_paths; i++) {
		struct kt_error *err = kt_dump_open(paths[i], &set->parts[i]);
		if (err)
			return err;
		set->nr_parts++;
		err = check_part(set->parts[0], set->parts[i]);
		if (err)
			return err;
	}
	qsort(set->parts, set->nr_parts, sizeof(*set->parts), compare_parts);
	dump->info.path = set->parts[0]->info.path;
	struct kt_error *err = check_coverage(set);
	return err ? err : summarise(dump);
}

struct kt_error *kt_dump_open_set(const char *const *paths, size_t nr_paths,
				  struct kt_dump **out)
{
	if (nr_paths == 0)
		return kt_error_create(KT_ERR_USAGE, "no dump given");
	if (nr_paths == 1)
		return kt_dump_open(paths[0], out);
	struct kt_dump *dump = kt_dump_alloc(paths[0]);
	if (!dump)
		return &kt_error_out_of_memory;
	struct kt_error *err = open_parts(dump, paths, nr_paths);
	if (!err)
		err = kt_dump_finish_open(dump);
	if (err) {
		kt_dump_close(dump);
		return err;
	}
	*out = dump;
	return NULL;
}

static struct kt_error *set_open(struct kt_dump *dump)
{
	return kt_error_create(KT_ERR_USAGE,
			       "%s: a split set is opened with kt_dump_open_set",
			       dump->info.path);
}

static enum kt_page_status set_page_status(struct kt_dump *dump, uint64_t pfn)
{
	struct kt_dump *part = part_of(dump->format, pfn);
	return part ? kt_dump_page_status(part, pfn) : KT_PAGE_EXCLUDED;
}

static struct kt_error *set_read_page(struct kt_dump *dump, uint64_t pfn,
				      void *buf)
{
	struct kt_dump *part = part_of(dump->format, pfn);
	if (!part)
		return kt_error_create(KT_ERR_EXCLUDED,
				       "%s: page 0x%llx is in no part of the split set",
				       dump->info.path, (unsigned long long)pfn);
	return kt_dump_read_page(part, pfn, buf);
}

/* Ranges that meet at a part boundary are joined, so ranges stay maximal. */
static bool set_next_range(struct kt_dump *dump, uint64_t pfn,
			   uint64_t *start, uint64_t *end)
{
	const struct split_set *set = dump->format;
	bool found = false;
	for (size_t i = 0; i < set->nr_parts; i++) {
		struct kt_dump *part = set->parts[i];
		if (part->info.split_end_pfn <= pfn)
			continue;
		uint64_t s, e;
		if (!kt_dump_next_range(part, pfn, &s, &e))
			continue;
		if (found && s != *end)
			break;
		if (!found)
			*start = s;
		*end = e;
		found = true;
		if (e != part->info.split_end_pfn)
			break; /* the range ends inside this part */
		pfn = e;
	}
	return found;
}

static void set_close(struct kt_dump *dump)
{
	struct split_set *set = dump->format;
	if (!set)
		return;
	for (size_t i = 0; i < set->nr_parts; i++)
		kt_dump_close(set->parts[i]);
	free(set->parts);
	free(set);
	dump->format = NULL;
}

const struct kt_dump_ops kt_split_set_ops = {
	.name = "kdump",
	.open = set_open,
	.page_status = set_page_status,
	.read_page = set_read_page,
	.next_range = set_next_range,
	.close = set_close,
};
