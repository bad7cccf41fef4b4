// SPDX-License-Identifier: MIT
/*
 * Every struct page of every present memory section (SPARSEMEM, which
 * x86-64 always uses), tallied by flags and reference count.  The kernel
 * keeps no counter for what crash calls SHARED, so this walk is the only
 * way to it; it costs one read of 64 bytes per page of RAM.
 *
 * VMCOREINFO says where the section table is (SYMBOL(mem_section),
 * LENGTH(mem_section) roots, SECTION_SIZE_BITS, MAX_PHYSMEM_BITS); BTF
 * gives struct mem_section, struct page and the page flag numbers.
 */
#include <stdlib.h>
#include <string.h>

#include "mem_map.h"
#include "page_slab.h"

#define PAGES_PER_READ 64
/* 2^25 sections on x86-64 with 5-level paging; a little more elsewhere. */
#define MAX_SECTION_SHIFT 28

struct sparse {
	uint64_t table;          /* the root pointers, or the sections */
	bool extreme;            /* CONFIG_SPARSEMEM_EXTREME: roots are pointers */
	uint64_t nr_tables, per_table, nr_sections;
	uint64_t section_size, map_offset;
	uint64_t has_mem_map, map_mask;
	uint64_t pages_per_section;
};

struct page_shape {
	uint64_t size, flags_offset, refcount_offset;
	uint64_t reserved;       /* flag mask */
	struct kt_page_slab slab;
};

static uint64_t enum_bit(struct kt_kernel *k, const char *enumerator,
			 uint64_t fallback)
{
	int64_t v;
	struct kt_error *err = kt_type_enum_value(k, NULL, enumerator, &v);
	if (err) {
		kt_error_free(err);
		return fallback;
	}
	return v >= 0 && v <= 63 ? (uint64_t)v : fallback;
}

/*
 * Before 5.9 VMCOREINFO has no SECTION_SIZE_BITS nor MAX_PHYSMEM_BITS:
 * #defines, in no type.  x86-64's section size has always been 2^27; the
 * number of sections then follows from LENGTH(mem_section), the roots of
 * a page of sections each (nr_sections 0: find_sparse computes it).
 */
#define X86_64_SECTION_SIZE_BITS 27

static bool section_bits_assumed(struct kt_kernel *k, int64_t *section_bits,
				 int64_t *physmem_bits)
{
	if (kt_vmcoreinfo_number(k->vmcoreinfo, "SECTION_SIZE_BITS", section_bits) &&
	    kt_vmcoreinfo_number(k->vmcoreinfo, "MAX_PHYSMEM_BITS", physmem_bits))
		return false;
	if (k->arch != &kt_arch_x86_64)
		return false;
	*section_bits = X86_64_SECTION_SIZE_BITS;
	*physmem_bits = 0;
	return true;
}

static struct kt_error *section_geometry(struct kt_kernel *k, struct sparse *sp)
{
	int64_t section_bits = 0, physmem_bits = 0;
	bool assumed = section_bits_assumed(k, &section_bits, &physmem_bits);
	if ((!assumed && !physmem_bits) ||
	    !kt_vmcoreinfo_symbol(k->vmcoreinfo, "mem_section", &sp->table) ||
	    !kt_vmcoreinfo_length(k->vmcoreinfo, "mem_section", &sp->nr_tables))
		return kt_error_create(KT_ERR_NOT_FOUND,
				       "VMCOREINFO lacks the SPARSEMEM section table");
	int page_shift = __builtin_ctz(k->page_size);
	if (assumed) {
		sp->pages_per_section = 1ull << (section_bits - page_shift);
		return NULL;
	}
	if (physmem_bits > 64 || section_bits <= page_shift ||
	    section_bits >= physmem_bits || physmem_bits - section_bits > MAX_SECTION_SHIFT)
		return kt_error_create(KT_ERR_INVALID,
				       "SECTION_SIZE_BITS %lld, MAX_PHYSMEM_BITS %lld are implausible",
				       (long long)section_bits, (long long)physmem_bits);
	sp->nr_sections = 1ull << (physmem_bits - section_bits);
	sp->pages_per_section = 1ull << (section_bits - page_shift);
	return NULL;
}

static struct kt_error *find_sparse(struct kt_kernel *k, struct sparse *sp)
{
	uint64_t symbol;
	memset(sp, 0, sizeof(*sp));
	struct kt_error *err = section_geometry(k, sp);
	if (!err)
		err = kt_type_sizeof(k, "struct mem_section", &sp->section_size);
	if (!err)
		err = kt_type_offsetof(k, "struct mem_section", "section_mem_map",
				       &sp->map_offset);
	if (err)
		return err;
	if (!sp->section_size || sp->section_size > k->page_size)
		return kt_error_create(KT_ERR_INVALID, "struct mem_section is %llu bytes",
				       (unsigned long long)sp->section_size);
	uint64_t per_page = k->page_size / sp->section_size;
	if (!sp->nr_sections) { /* section_bits_assumed: the roots say */
		if (sp->nr_tables == 0 || sp->nr_tables > (1ull << MAX_SECTION_SHIFT) / per_page)
			return kt_error_create(KT_ERR_INVALID, "LENGTH(mem_section) %llu is implausible",
					       (unsigned long long)sp->nr_tables);
		sp->nr_sections = sp->nr_tables * per_page;
	}
	uint64_t roots = (sp->nr_sections + per_page - 1) / per_page;
	if (sp->nr_tables == roots) {
		/* A root per page of sections, each allocated on its own. */
		sp->extreme = true;
		sp->per_table = per_page;
		/* Before 4.15 VMCOREINFO gave &mem_section, not its value. */
		if (kt_symbol_address(k, "mem_section", &symbol) == NULL &&
		    symbol == sp->table &&
		    (err = kt_kernel_read_u64(k, symbol, &sp->table)))
			return err;
	} else if (sp->nr_tables == sp->nr_sections) {
		/* One static array: read it a page at a time all the same. */
		sp->per_table = per_page;
		sp->nr_tables = roots;
	} else {
		return kt_error_create(KT_ERR_INVALID,
				       "LENGTH(mem_section) %llu fits no section layout",
				       (unsigned long long)sp->nr_tables);
	}
	sp->has_mem_map = 1ull << enum_bit(k, "SECTION_HAS_MEM_MAP_BIT", 1);
	/* The low bits of section_mem_map are flags; a mem_map is aligned
	 * far beyond them, so 6 bits are safe where the enum is missing. */
	sp->map_mask = ~((1ull << enum_bit(k, "SECTION_MAP_LAST_BIT", 6)) - 1);
	return NULL;
}

static struct kt_error *find_page_shape(struct kt_kernel *k, struct page_shape *ps)
{
	int64_t reserved;
	struct kt_error *err = kt_type_sizeof(k, "struct page", &ps->size);
	if (!err)
		err = kt_type_offsetof(k, "struct page", "flags", &ps->flags_offset);
	if (!err && kt_type_offsetof(k, "struct page", "_refcount", &ps->refcount_offset))
		err = kt_type_offsetof(k, "struct page", "_count", &ps->refcount_offset);
	if (!err)
		err = kt_type_enum_value(k, "enum pageflags", "PG_reserved", &reserved);
	if (!err)
		err = kt_page_slab_load(k, &ps->slab);
	if (err)
		return err;
	if (!ps->size || ps->size > 1024 || ps->flags_offset + 8 > ps->size ||
	    ps->refcount_offset + 4 > ps->size || reserved < 0 || reserved > 63 ||
	    ps->slab.offset + 8 > ps->size)
		return kt_error_create(KT_ERR_INVALID, "struct page layout is implausible");
	ps->reserved = 1ull << reserved;
	return NULL;
}

static void tally(const struct page_shape *ps, const uint8_t *page,
		  struct kt_page_counts *c)
{
	uint64_t flags;
	int32_t refcount;
	memcpy(&flags, page + ps->flags_offset, sizeof(flags));
	memcpy(&refcount, page + ps->refcount_offset, sizeof(refcount));
	if (kt_page_slab_test(&ps->slab, page, (size_t)ps->size))
		c->slab++;
	if (flags & ps->reserved)
		c->reserved++;
	else if (refcount > 1)
		c->shared++;
}

/* A section's pages; what the dump lacks counts as unreadable, like zeros. */
static void count_section(struct kt_kernel *k, const struct page_shape *ps,
			  uint64_t first, uint64_t nr_pages, uint8_t *buf,
			  struct kt_page_counts *c)
{
	for (uint64_t i = 0; i < nr_pages; i += PAGES_PER_READ) {
		uint64_t n = nr_pages - i < PAGES_PER_READ ? nr_pages - i : PAGES_PER_READ;
		c->pages += n;
		struct kt_error *err = kt_kernel_read(k, first + i * ps->size, buf,
						      (size_t)(n * ps->size));
		if (err) {
			kt_error_free(err);
			c->unreadable += n;
			continue;
		}
		for (uint64_t j = 0; j < n; j++)
			tally(ps, buf + j * ps->size, c);
	}
}

/* The page of sections that table t holds, or false when it has none. */
static bool read_table(struct kt_kernel *k, const struct sparse *sp, uint64_t t,
		       uint8_t *sections)
{
	uint64_t address = sp->table + t * sp->per_table * sp->section_size;
	uint64_t count = sp->per_table;
	if (!sp->extreme && (t + 1) * sp->per_table > sp->nr_sections)
		count = sp->nr_sections - t * sp->per_table; /* the array's end */
	memset(sections, 0, (size_t)(sp->per_table * sp->section_size));
	if (sp->extreme) {
		struct kt_error *err = kt_kernel_read_u64(k, sp->table + t * 8, &address);
		if (err) {
			kt_kernel_warn(k, "mem_section root %llu: %s; its sections are skipped",
				       (unsigned long long)t, kt_error_string(err));
			kt_error_free(err);
			return false;
		}
		if (!address) /* no memory in this root's range */
			return false;
	}
	struct kt_error *err = kt_kernel_read(k, address, sections,
					      (size_t)(count * sp->section_size));
	if (err) {
		kt_kernel_warn(k, "mem_section root %llu: %s; its sections are skipped",
			       (unsigned long long)t, kt_error_string(err));
		kt_error_free(err);
		return false;
	}
	return true;
}

/*
 * Sections in pfn order, up to the dump's last pfn: memory the dump does not
 * describe has no pages to count, and this bounds a walk that damaged
 * sections would otherwise send through the whole address space.
 */
static void walk(struct kt_kernel *k, const struct sparse *sp,
		 const struct page_shape *ps, uint8_t *sections, uint8_t *pages,
		 struct kt_page_counts *c)
{
	uint64_t max_pfn = kt_dump_info(k->dump)->max_pfn;
	for (uint64_t t = 0; t < sp->nr_tables; t++) {
		if (t * sp->per_table * sp->pages_per_section >= max_pfn)
			break;
		if (!read_table(k, sp, t, sections))
			continue;
		for (uint64_t s = 0; s < sp->per_table; s++) {
			uint64_t nr = t * sp->per_table + s, map;
			uint64_t pfn = nr * sp->pages_per_section;
			if (nr >= sp->nr_sections || pfn >= max_pfn)
				break;
			memcpy(&map, sections + s * sp->section_size + sp->map_offset,
			       sizeof(map));
			if (!(map & sp->has_mem_map))
				continue;
			/* section_mem_map holds mem_map less the section's first
			 * pfn, so adding any pfn of the section gives its page. */
			uint64_t first = (map & sp->map_mask) + pfn * ps->size;
			count_section(k, ps, first, sp->pages_per_section, pages, c);
		}
	}
}

struct kt_error *kt_mem_map_count(struct kt_kernel *k, struct kt_page_counts *c)
{
	struct sparse sp;
	struct page_shape ps;
	memset(c, 0, sizeof(*c));
	struct kt_error *err = find_sparse(k, &sp);
	if (!err)
		err = find_page_shape(k, &ps);
	if (err)
		return kt_error_wrap(err, "mem_map");
	uint8_t *sections = malloc((size_t)(sp.per_table * sp.section_size));
	uint8_t *pages = malloc((size_t)(PAGES_PER_READ * ps.size));
	if (sections && pages)
		walk(k, &sp, &ps, sections, pages, c);
	else
		err = &kt_error_out_of_memory;
	free(sections);
	free(pages);
	return err;
}
