// SPDX-License-Identifier: MIT
/*
 * ELF64 cores: /proc/vmcore copies, makedumpfile -E, QEMU dump-guest-memory.
 * libelf parses the header and program headers from an in-memory copy of
 * the file's start (so a flattened stream works too); PT_LOAD segments map
 * physical addresses (p_paddr) to file offsets.  Bytes a segment has in
 * memory but not in the file (p_memsz > p_filesz) were excluded.
 */
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* x86-64 and arm64 physical addresses have at most 52 bits. */
#define MAX_PHYS_ADDR (1ull << 52)
#define MAX_NOTES_SIZE (64u << 20)
#define DEFAULT_PAGE_SIZE 4096

struct segment {
	uint64_t paddr;
	uint64_t file_size; /* bytes present in the file */
	uint64_t offset;
	size_t index;       /* of its program header: which wins an overlap */
};

struct elf_dump {
	struct segment *segments; /* sorted by paddr */
	size_t nr_segments;
	uint64_t file_size;
};

static int compare_segments(const void *a, const void *b)
{
	const struct segment *x = a, *y = b;
	if (x->paddr != y->paddr)
		return x->paddr < y->paddr ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/*
 * Make the sorted segments disjoint: a byte covered twice is read from the
 * segment that starts first (the earlier header on a tie), and a segment
 * wholly inside earlier ones is dropped.  Real cores have no overlaps; a
 * crafted one with 65,534 overlapping PT_LOADs would otherwise cost a scan
 * of all of them for every page read.  Sorted by start, the earlier
 * segments cover [s.paddr, covered_end) without a gap, so one sweep does.
 */
static void make_disjoint(struct elf_dump *e)
{
	size_t kept = 0;
	uint64_t covered_end = 0;
	for (size_t i = 0; i < e->nr_segments; i++) {
		struct segment s = e->segments[i];
		uint64_t end = s.paddr + s.file_size;
		if (kept && end <= covered_end)
			continue;
		if (kept && s.paddr < covered_end) {
			uint64_t cut = covered_end - s.paddr;
			s.paddr += cut;
			s.offset += cut;
			s.file_size -= cut;
		}
		e->segments[kept++] = s;
		covered_end = end;
	}
	e->nr_segments = kept;
}

static struct kt_error *read_headers(struct kt_dump *dump, uint8_t **image,
				     Elf **elf)
{
	Elf64_Ehdr ehdr;
	struct kt_error *err = kt_source_read(dump->source, 0, &ehdr,
					      sizeof(ehdr));
	if (err)
		return kt_error_wrap(err, "ELF header");
	if (ehdr.e_ident[EI_CLASS] != ELFCLASS64 ||
	    ehdr.e_ident[EI_DATA] != ELFDATA2LSB)
		return kt_error_create(KT_ERR_UNSUPPORTED,
				       "%s: only little-endian ELF64 cores are supported",
				       dump->info.path);
	if (ehdr.e_type != ET_CORE)
		return kt_error_create(KT_ERR_FORMAT,
				       "%s: ELF type %u is not a core file",
				       dump->info.path, ehdr.e_type);
	if (ehdr.e_phentsize != sizeof(Elf64_Phdr) || ehdr.e_phnum == 0 ||
	    ehdr.e_phnum == PN_XNUM)
		return kt_error_create(KT_ERR_FORMAT,
				       "%s: ELF has %u program headers of %u bytes",
				       dump->info.path, ehdr.e_phnum,
				       ehdr.e_phentsize);
	uint64_t phdrs_size = (uint64_t)ehdr.e_phnum * sizeof(Elf64_Phdr);
	uint64_t file_size = kt_source_size(dump->source);
	if (ehdr.e_phoff < sizeof(ehdr) || ehdr.e_phoff > file_size ||
	    phdrs_size > file_size - ehdr.e_phoff)
		return kt_error_create(KT_ERR_FORMAT,
				       "%s: program headers at 0x%llx are past the end of the file",
				       dump->info.path,
				       (unsigned long long)ehdr.e_phoff);
	/*
	 * libelf gets a compact copy: the ELF header, then the program
	 * headers right after it, wherever the file keeps them, so memory
	 * stays small whatever e_phoff says.
	 */
	size_t end = sizeof(ehdr) + (size_t)phdrs_size;
	*image = malloc(end);
	if (!*image)
		return &kt_error_out_of_memory;
	err = kt_source_read(dump->source, ehdr.e_phoff, *image + sizeof(ehdr),
			     (size_t)phdrs_size);
	if (err)
		return kt_error_wrap(err, "ELF program headers");
	/* No section headers in the copy: libelf must not look for them. */
	ehdr.e_phoff = sizeof(ehdr);
	ehdr.e_shoff = 0;
	ehdr.e_shnum = 0;
	ehdr.e_shstrndx = 0;
	memcpy(*image, &ehdr, sizeof(ehdr));
	*elf = elf_memory((char *)*image, end);
	if (!*elf)
		return kt_error_create(KT_ERR_FORMAT, "%s: libelf: %s",
				       dump->info.path, elf_errmsg(-1));
	return NULL;
}

static struct kt_error *append_notes(struct kt_dump *dump, uint8_t **blob,
				     size_t *len, const GElf_Phdr *ph)
{
	/* realloc(blob, 0) would free the blob: an empty PT_NOTE adds nothing. */
	if (ph->p_filesz == 0)
		return NULL;
	if (ph->p_filesz > MAX_NOTES_SIZE || *len + ph->p_filesz > MAX_NOTES_SIZE)
		return kt_error_create(KT_ERR_FORMAT,
				       "%s: PT_NOTE of %llu bytes is too large",
				       dump->info.path,
				       (unsigned long long)ph->p_filesz);
	uint8_t *n = realloc(*blob, *len + ph->p_filesz);
	if (!n)
		return &kt_error_out_of_memory;
	*blob = n;
	struct kt_error *err = kt_source_read(dump->source, ph->p_offset,
					      n + *len, ph->p_filesz);
	if (err)
		return kt_error_wrap(err, "PT_NOTE");
	*len += ph->p_filesz;
	return NULL;
}

static struct kt_error *load_segments(struct kt_dump *dump, Elf *elf,
				      struct elf_dump *e, uint8_t **notes,
				      size_t *notes_len)
{
	size_t phnum;
	if (elf_getphdrnum(elf, &phnum) != 0)
		return kt_error_create(KT_ERR_FORMAT, "%s: libelf: %s",
				       dump->info.path, elf_errmsg(-1));
	e->segments = calloc(phnum, sizeof(*e->segments));
	if (!e->segments)
		return &kt_error_out_of_memory;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph))
			return kt_error_create(KT_ERR_FORMAT, "%s: phdr %zu: %s",
					       dump->info.path, i, elf_errmsg(-1));
		if (ph.p_type == PT_NOTE) {
			struct kt_error *err = append_notes(dump, notes,
							    notes_len, &ph);
			if (err)
				return err;
		} else if (ph.p_type == PT_LOAD && ph.p_filesz) {
			if (ph.p_offset > UINT64_MAX - ph.p_filesz ||
			    ph.p_paddr > MAX_PHYS_ADDR ||
			    ph.p_filesz > MAX_PHYS_ADDR - ph.p_paddr ||
			    ph.p_filesz > ph.p_memsz)
				return kt_error_create(KT_ERR_FORMAT,
						       "%s: PT_LOAD %zu: offset 0x%llx size 0x%llx is impossible",
						       dump->info.path, i,
						       (unsigned long long)ph.p_offset,
						       (unsigned long long)ph.p_filesz);
			e->segments[e->nr_segments++] = (struct segment){
				.paddr = ph.p_paddr,
				.file_size = ph.p_filesz,
				.offset = ph.p_offset,
				.index = i,
			};
		}
	}
	qsort(e->segments, e->nr_segments, sizeof(*e->segments),
	      compare_segments);
	make_disjoint(e);
	return NULL;
}

/* PAGESIZE from VMCOREINFO, since ELF itself does not say. */
static uint32_t page_size_from_vmcoreinfo(const char *text)
{
	const char *p = text ? strstr(text, "PAGESIZE=") : NULL;
	if (!p || (p != text && p[-1] != '\n'))
		return DEFAULT_PAGE_SIZE;
	unsigned long v = strtoul(p + strlen("PAGESIZE="), NULL, 10);
	return v ? (uint32_t)v : DEFAULT_PAGE_SIZE;
}

/*
 * One past the last pfn of segment s whose bytes are all in the file: a
 * page that a truncation cuts through is missing, as reading it fails.
 */
static uint64_t readable_end_pfn(const struct elf_dump *e,
				 const struct segment *s, uint64_t ps)
{
	uint64_t end = (s->paddr + s->file_size + ps - 1) / ps;
	if (s->offset + s->file_size <= e->file_size)
		return end;
	uint64_t have = s->offset < e->file_size ? e->file_size - s->offset : 0;
	return (s->paddr + have) / ps;
}

static void summarise(struct kt_dump *dump, struct elf_dump *e)
{
	struct kt_dump_info *info = &dump->info;
	uint64_t ps = info->page_size;
	for (size_t i = 0; i < e->nr_segments; i++) {
		const struct segment *s = &e->segments[i];
		uint64_t first = s->paddr / ps;
		uint64_t end = (s->paddr + s->file_size + ps - 1) / ps;
		uint64_t readable = readable_end_pfn(e, s, ps);
		if (end > info->max_pfn)
			info->max_pfn = end;
		info->pages_present += end - first;
		if (readable < end) {
			info->pages_missing += end - (readable > first ? readable : first);
			info->truncated = true;
		}
	}
	info->nr_cpus = (int)dump->nr_prstatus;
	info->compression = KT_COMPRESS_NONE;
}

static struct kt_error *elf_open(struct kt_dump *dump)
{
	struct elf_dump *e = calloc(1, sizeof(*e));
	if (!e)
		return &kt_error_out_of_memory;
	dump->format = e;
	e->file_size = kt_source_size(dump->source);
	uint8_t *image = NULL, *notes = NULL;
	size_t notes_len = 0;
	Elf *elf = NULL;
	struct kt_error *err = read_headers(dump, &image, &elf);
	if (!err)
		err = load_segments(dump, elf, e, &notes, &notes_len);
	if (elf)
		elf_end(elf);
	free(image);
	if (!err && notes)
		err = kt_dump_set_notes(dump, notes, notes_len);
	else
		free(notes);
	if (err)
		return err;
	dump->info.page_size = page_size_from_vmcoreinfo(dump->vmcoreinfo);
	if (!kt_is_power_of_two(dump->info.page_size))
		return NULL; /* kt_dump_open reports the bad page size */
	summarise(dump, e);
	return NULL;
}

/* The first segment that ends after paddr, or nr_segments. */
static size_t segment_after(const struct elf_dump *e, uint64_t paddr)
{
	size_t lo = 0, hi = e->nr_segments;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct segment *s = &e->segments[mid];
		if (s->paddr + s->file_size <= paddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Copy the parts of the page that segments hold; the rest stays zero, as
 * for a segment that starts or ends inside a page.
 */
static struct kt_error *elf_read_page(struct kt_dump *dump, uint64_t pfn,
				      void *buf)
{
	struct elf_dump *e = dump->format;
	uint64_t ps = dump->info.page_size;
	uint64_t lo = pfn * ps, hi = lo + ps;
	bool covered = false;
	memset(buf, 0, ps);
	for (size_t i = segment_after(e, lo); i < e->nr_segments; i++) {
		const struct segment *s = &e->segments[i];
		if (s->paddr >= hi)
			break;
		uint64_t from = s->paddr > lo ? s->paddr : lo;
		uint64_t to = s->paddr + s->file_size < hi ? s->paddr + s->file_size : hi;
		if (from >= to)
			continue;
		struct kt_error *err = kt_source_read(
			dump->source, s->offset + (from - s->paddr),
			(uint8_t *)buf + (from - lo), to - from);
		if (err)
			return kt_error_wrap(err, "page 0x%llx",
					     (unsigned long long)pfn);
		covered = true;
	}
	if (!covered)
		return kt_error_create(KT_ERR_EXCLUDED,
				       "%s: page 0x%llx is in no PT_LOAD segment",
				       dump->info.path, (unsigned long long)pfn);
	return NULL;
}

static enum kt_page_status elf_page_status(struct kt_dump *dump, uint64_t pfn)
{
	struct elf_dump *e = dump->format;
	uint64_t ps = dump->info.page_size;
	uint64_t lo = pfn * ps, hi = lo + ps;
	enum kt_page_status status = KT_PAGE_EXCLUDED;
	for (size_t i = segment_after(e, lo); i < e->nr_segments; i++) {
		const struct segment *s = &e->segments[i];
		if (s->paddr >= hi)
			break;
		if (s->paddr + s->file_size <= lo)
			continue;
		if (pfn >= readable_end_pfn(e, s, ps))
			return KT_PAGE_MISSING;
		status = KT_PAGE_PRESENT;
	}
	return status;
}

static bool elf_next_range(struct kt_dump *dump, uint64_t pfn,
			   uint64_t *start, uint64_t *end)
{
	struct elf_dump *e = dump->format;
	uint64_t ps = dump->info.page_size;
	size_t i = segment_after(e, pfn * ps);
	if (i == e->nr_segments)
		return false;
	const struct segment *s = &e->segments[i];
	*start = s->paddr / ps > pfn ? s->paddr / ps : pfn;
	*end = (s->paddr + s->file_size + ps - 1) / ps;
	/* Merge segments that touch, so ranges are maximal. */
	for (i++; i < e->nr_segments && e->segments[i].paddr / ps <= *end; i++) {
		uint64_t seg_end = (e->segments[i].paddr +
				    e->segments[i].file_size + ps - 1) / ps;
		if (seg_end > *end)
			*end = seg_end;
	}
	return true;
}

static void elf_close(struct kt_dump *dump)
{
	struct elf_dump *e = dump->format;
	if (!e)
		return;
	free(e->segments);
	free(e);
	dump->format = NULL;
}

const struct kt_dump_ops kt_elf_ops = {
	.name = "elf",
	.open = elf_open,
	.page_status = elf_page_status,
	.read_page = elf_read_page,
	.next_range = elf_next_range,
	.close = elf_close,
};
