// SPDX-License-Identifier: MIT
/*
 * The memory summary of crash's `kmem -i`, row by row, from the counters
 * the kernel keeps for /proc/meminfo: vm_zone_stat and vm_node_stat
 * (indexed by enum zone_stat_item / node_stat_item, whose values BTF
 * gives), _totalram_pages, the swap and hugetlb counts, the overcommit
 * sysctls.  Two rows have no kernel counter and come from a walk of every
 * struct page, as crash computes them (mem_map.c): SHARED and SLAB.
 */
#include <string.h>

#include "mem_map.h"

/* More page sizes than any architecture has (x86-64 has 2: 2M, 1G). */
#define MAX_HSTATES 64

/* A global long (or atomic_long_t, whose counter is its first member). */
static struct kt_error *read_long(struct kt_kernel *k, const char *symbol,
				  int64_t *value)
{
	uint64_t address, v;
	struct kt_error *err = kt_symbol_address(k, symbol, &address);
	if (!err)
		err = kt_kernel_read_u64(k, address, &v);
	if (err)
		return err;
	*value = (int64_t)v;
	return NULL;
}

/* Like read_long, but 0 when the kernel has no such variable. */
static int64_t long_or_zero(struct kt_kernel *k, const char *symbol)
{
	int64_t v = 0;
	kt_error_free(read_long(k, symbol, &v));
	return v;
}

/*
 * A vm_stat counter by its enumerator's name: zone items in vm_zone_stat,
 * node items in vm_node_stat (4.8+), or both in vm_stat before.  The
 * per-CPU deltas not yet folded in can leave a sum below zero: the kernel
 * reads that as 0, and so do we.
 */
static bool vm_stat(struct kt_kernel *k, const char *item, uint64_t *value)
{
	static const struct {
		const char *type, *array;
	} stats[] = {
		{ "enum zone_stat_item", "vm_zone_stat" },
		{ "enum node_stat_item", "vm_node_stat" },
		{ "enum zone_stat_item", "vm_stat" },
	};
	uint64_t element;
	struct kt_error *err = kt_type_sizeof(k, "atomic_long_t", &element);
	if (err) {
		kt_error_free(err);
		element = 8;
	}
	for (size_t i = 0; i < sizeof(stats) / sizeof(stats[0]); i++) {
		int64_t index, v;
		uint64_t address;
		if ((err = kt_type_enum_value(k, stats[i].type, item, &index)) ||
		    (err = kt_symbol_address(k, stats[i].array, &address))) {
			kt_error_free(err);
			continue;
		}
		if ((err = kt_kernel_read_u64(k, address + (uint64_t)index * element,
					      (uint64_t *)&v))) {
			kt_kernel_warn(k, "%s[%s]: %s", stats[i].array, item,
				       kt_error_string(err));
			kt_error_free(err);
			return false;
		}
		*value = v > 0 ? (uint64_t)v : 0;
		return true;
	}
	return false;
}

static uint64_t vm_stat_or_zero(struct kt_kernel *k, const char *item)
{
	uint64_t v = 0;
	return vm_stat(k, item, &v) ? v : 0;
}

/*
 * BUFFERS: the page cache of block devices, which the kernel counts as
 * nr_blockdev_pages(): every inode of the bdev pseudo-filesystem's
 * superblock, its i_mapping->nrpages.
 */
static uint64_t blockdev_pages(struct kt_kernel *k)
{
	uint64_t sb_address, sb, s_inodes, i_sb_list, i_mapping, nrpages;
	struct kt_error *err = kt_symbol_address(k, "blockdev_superblock", &sb_address);
	if (!err)
		err = kt_kernel_read_u64(k, sb_address, &sb);
	if (!err)
		err = kt_type_offsetof(k, "struct super_block", "s_inodes", &s_inodes);
	if (!err)
		err = kt_type_offsetof(k, "struct inode", "i_sb_list", &i_sb_list);
	if (!err)
		err = kt_type_offsetof(k, "struct inode", "i_mapping", &i_mapping);
	if (!err)
		err = kt_type_offsetof(k, "struct address_space", "nrpages", &nrpages);
	if (err) {
		kt_kernel_warn(k, "BUFFERS: %s", kt_error_string(err));
		kt_error_free(err);
		return 0;
	}
	uint64_t total = 0, entry;
	struct kt_list_walk walk;
	kt_list_walk_kernel(&walk, k, sb + s_inodes);
	while (!(err = kt_list_walk_next(&walk, &entry)) && entry) {
		uint64_t mapping, pages;
		err = kt_kernel_read_u64(k, entry - i_sb_list + i_mapping, &mapping);
		if (!err)
			err = kt_kernel_read_u64(k, mapping + nrpages, &pages);
		if (err)
			break;
		total += pages;
	}
	if (err) {
		kt_kernel_warn(k, "BUFFERS: block device inodes: %s", kt_error_string(err));
		kt_error_free(err);
	}
	kt_list_walk_destroy(&walk);
	return total;
}

/* Every hugetlb pool in use (hstates[0..hugetlb_max_hstate)), in pages. */
static void hugetlb_pages(struct kt_kernel *k, uint64_t *total, uint64_t *free)
{
	*total = *free = 0;
	uint64_t hstates, max_address, stride, order_value, nr, nr_free;
	uint32_t count;
	struct kt_error *err = kt_symbol_address(k, "hstates", &hstates);
	if (err) { /* !CONFIG_HUGETLBFS: no pools */
		kt_error_free(err);
		return;
	}
	err = kt_symbol_address(k, "hugetlb_max_hstate", &max_address);
	if (!err)
		err = kt_kernel_read_u32(k, max_address, &count);
	if (!err)
		err = kt_type_sizeof(k, "struct hstate", &stride);
	for (uint32_t i = 0; !err && i < count && i < MAX_HSTATES; i++) {
		uint64_t h = hstates + (uint64_t)i * stride;
		err = kt_read_member_uint(k, h, "struct hstate", "order", &order_value);
		if (!err)
			err = kt_read_member_uint(k, h, "struct hstate", "nr_huge_pages", &nr);
		if (!err)
			err = kt_read_member_uint(k, h, "struct hstate", "free_huge_pages",
						  &nr_free);
		if (!err && order_value < 32) {
			*total += nr << order_value;
			*free += nr_free << order_value;
		}
	}
	if (err) {
		kt_kernel_warn(k, "TOTAL HUGE: %s", kt_error_string(err));
		kt_error_free(err);
	}
}

/*
 * COMMITTED: vm_committed_as is a percpu_counter; like crash, its count,
 * without the per-CPU batches not yet folded in (at most a batch per CPU).
 */
static uint64_t committed_pages(struct kt_kernel *k)
{
	uint64_t address, offset, count;
	struct kt_error *err = kt_symbol_address(k, "vm_committed_as", &address);
	if (!err)
		err = kt_type_offsetof(k, "struct percpu_counter", "count", &offset);
	if (!err)
		err = kt_kernel_read_u64(k, address + offset, &count);
	if (err) {
		kt_kernel_warn(k, "COMMITTED: %s", kt_error_string(err));
		kt_error_free(err);
		return 0;
	}
	return (int64_t)count > 0 ? count : 0;
}

/* The kernel's vm_commit_limit(): a share of RAM less hugetlb, plus swap. */
static uint64_t commit_limit(struct kt_kernel *k, const struct kt_meminfo *m)
{
	int page_shift = __builtin_ctz(k->page_size);
	uint64_t kbytes = (uint64_t)long_or_zero(k, "sysctl_overcommit_kbytes");
	uint64_t limit;
	if (kbytes) {
		limit = kbytes >> (page_shift - 10);
	} else {
		uint64_t address;
		uint32_t ratio = 50; /* the default, should the symbol be missing */
		struct kt_error *err = kt_symbol_address(k, "sysctl_overcommit_ratio",
							 &address);
		if (!err)
			err = kt_kernel_read_u32(k, address, &ratio);
		kt_error_free(err);
		uint64_t ram = m->total_mem > m->total_huge ? m->total_mem - m->total_huge : 0;
		limit = ram * ratio / 100;
	}
	return limit + m->total_swap;
}

static struct kt_error *totalram(struct kt_kernel *k, uint64_t *pages)
{
	int64_t v;
	struct kt_error *err = read_long(k, "_totalram_pages", &v); /* 5.0+ */
	if (err) {
		kt_error_free(err);
		err = read_long(k, "totalram_pages", &v);
	}
	if (err)
		return err;
	*pages = v > 0 ? (uint64_t)v : 0;
	return NULL;
}

static void swap_pages(struct kt_kernel *k, struct kt_meminfo *m)
{
	int64_t total = long_or_zero(k, "total_swap_pages");
	int64_t free = long_or_zero(k, "nr_swap_pages");
	m->total_swap = total > 0 ? (uint64_t)total : 0;
	m->swap_free = free > 0 && free <= total ? (uint64_t)free : 0;
	m->swap_used = m->total_swap - m->swap_free;
}

/* SHARED and SLAB from the pages themselves, as crash 8 counts them. */
static void page_walk_rows(struct kt_kernel *k, struct kt_meminfo *m)
{
	struct kt_page_counts c;
	struct kt_error *err = kt_mem_map_count(k, &c);
	if (err) {
		kt_kernel_warn(k, "SHARED, SLAB: %s", kt_error_string(err));
		kt_error_free(err);
		return;
	}
	if (c.unreadable)
		kt_kernel_warn(k, "SHARED, SLAB: %llu of %llu struct pages are not in the dump",
			       (unsigned long long)c.unreadable,
			       (unsigned long long)c.pages);
	m->shared = c.shared;
	m->slab = c.slab;
}

/*
 * SHARED and SLAB from the kernel's own counters (what /proc/meminfo calls
 * Shmem and Slab): no walk of every struct page, so the cost does not grow
 * with the machine's memory.
 */
static void counter_rows(struct kt_kernel *k, struct kt_meminfo *m)
{
	m->shared = vm_stat_or_zero(k, "NR_SHMEM");
	m->slab = vm_stat_or_zero(k, "NR_SLAB_RECLAIMABLE_B") +
		  vm_stat_or_zero(k, "NR_SLAB_UNRECLAIMABLE_B");
}

static struct kt_error *meminfo(struct kt_kernel *k, struct kt_meminfo *m,
				bool walk_pages)
{
	const char *path = kt_dump_info(k->dump)->path;
	memset(m, 0, sizeof(*m));
	m->page_size = k->page_size;
	struct kt_error *err = totalram(k, &m->total_mem);
	if (err)
		return kt_error_wrap(err, "%s: TOTAL MEM", path);
	if (!vm_stat(k, "NR_FREE_PAGES", &m->free))
		return kt_error_create(KT_ERR_NOT_FOUND,
				       "%s: FREE: NR_FREE_PAGES of vm_zone_stat (or vm_stat) is unreadable",
				       path);
	m->used = m->total_mem > m->free ? m->total_mem - m->free : 0;
	if (walk_pages)
		page_walk_rows(k, m);
	else
		counter_rows(k, m);
	m->buffers = blockdev_pages(k);
	/* The kernel's Cached: file pages less swap cache and buffers. */
	uint64_t file = vm_stat_or_zero(k, "NR_FILE_PAGES");
	uint64_t not_cached = vm_stat_or_zero(k, "NR_SWAPCACHE") + m->buffers;
	m->cached = file > not_cached ? file - not_cached : 0;
	hugetlb_pages(k, &m->total_huge, &m->huge_free);
	swap_pages(k, m);
	m->commit_limit = commit_limit(k, m);
	m->committed = committed_pages(k);
	return NULL;
}

struct kt_error *kt_meminfo(struct kt_kernel *k, struct kt_meminfo *m)
{
	return meminfo(k, m, true);
}

struct kt_error *kt_meminfo_counters(struct kt_kernel *k, struct kt_meminfo *m)
{
	return meminfo(k, m, false);
}
