/* SPDX-License-Identifier: MIT */
/*
 * The dump reader: a vmcore as physical memory plus its notes.
 *
 * Formats are detected from content: ELF64 cores (/proc/vmcore copies,
 * makedumpfile -E, QEMU dump-guest-memory), kdump-compressed ("KDUMP   ",
 * makedumpfile -c/-l/-p/-z, split parts) and the flattened stream of
 * makedumpfile -F wrapping either.  Memory use is bounded: pages are read
 * with pread through a small cache, never the whole file.
 */
#ifndef KTRIAGE_DUMP_H
#define KTRIAGE_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ktriage/base.h"

struct kt_dump;

/* Every page has exactly one of these. */
enum kt_page_status {
	KT_PAGE_PRESENT,  /* in the file; may still prove corrupt when decoded */
	KT_PAGE_EXCLUDED, /* left out on purpose (dump level) or not RAM */
	KT_PAGE_MISSING,  /* should be in the file, but the file ends first */
	KT_PAGE_CORRUPT,  /* in the file, but its descriptor is impossible */
};

/* Page compression methods, as a bit mask. */
enum kt_compression {
	KT_COMPRESS_NONE = 1 << 0,
	KT_COMPRESS_ZLIB = 1 << 1,
	KT_COMPRESS_LZO = 1 << 2,
	KT_COMPRESS_SNAPPY = 1 << 3,
	KT_COMPRESS_ZSTD = 1 << 4,
};

struct kt_dump_info {
	const char *path;
	const char *format;    /* "elf", "kdump" or "flattened" */
	const char *contents;  /* what the flattened stream carries: "elf"|"kdump" */
	unsigned compression;  /* enum kt_compression mask seen in headers */
	int header_version;    /* kdump header version, 0 for ELF */
	int dump_level;        /* -1 when the format does not say */
	uint32_t page_size;
	uint64_t max_pfn;      /* one past the highest pfn the dump describes */
	uint64_t pages_present;/* pages the dump says it holds */
	int64_t timestamp;     /* seconds since the epoch when written, or 0 */
	int nr_cpus;           /* from the header, -1 when the format does not say */
	bool incomplete;       /* makedumpfile flagged the dump incomplete */
	bool truncated;        /* the file ends before the data it describes */
	uint64_t pages_missing;/* present pages lost to truncation/incompleteness */
	bool split;            /* one part of a makedumpfile --split set */
	uint64_t split_start_pfn, split_end_pfn; /* pfns the part(s) hold */
	size_t nr_parts;       /* files read: 1, or the parts of a split set */
	char utsname_release[65]; /* from the kdump header, "" for ELF */
	char utsname_machine[65];
	uint16_t elf_machine;  /* ELF e_machine (EM_*), 0 for kdump */
};

/* A saved CPU state from an NT_PRSTATUS note. */
struct kt_prstatus {
	int32_t pid;          /* Linux pid, or QEMU's vCPU index + 1 */
	const uint8_t *regs;  /* pr_reg: x86-64 user_regs_struct (27 words) or
	                       * arm64 user_pt_regs (34: x0-x30, sp, pc, pstate) */
	size_t regs_size;
};

struct kt_error *kt_dump_open(const char *path, struct kt_dump **out);

/*
 * The architecture of the dumped machine in the kernel's own spelling
 * ("x86_64", "arm64"; another machine's name as the dump gives it), from the
 * ELF machine, the kdump header's utsname or, failing both, the VMCOREINFO
 * keys only one architecture writes.  NULL when nothing says.
 */
const char *kt_dump_arch(const struct kt_dump *dump);
/*
 * The same over a descriptor the caller opened (and keeps: the dump reads a
 * duplicate); path only names it in messages.  An fd of -1 opens path.
 */
struct kt_error *kt_dump_open_fd(int fd, const char *path, struct kt_dump **out);
/*
 * Open the parts of one makedumpfile --split set, in any order, as one dump
 * whose pfns are the union of the parts'.  The parts must be of the same
 * dump (same VMCOREINFO, page size and max pfn) and together cover every
 * pfn exactly once.  With one path this is kt_dump_open.
 */
struct kt_error *kt_dump_open_set(const char *const *paths, size_t nr_paths,
				  struct kt_dump **out);
void kt_dump_close(struct kt_dump *dump);

const struct kt_dump_info *kt_dump_info(const struct kt_dump *dump);

/*
 * Copy len bytes of physical memory starting at paddr.  Fails with
 * KT_ERR_EXCLUDED, KT_ERR_MISSING or KT_ERR_CORRUPT naming the first page
 * that could not be read.
 */
struct kt_error *kt_dump_read_phys(struct kt_dump *dump, uint64_t paddr,
				   void *buf, size_t len);

/* Decode one whole page (page_size bytes) into buf, bypassing the cache. */
struct kt_error *kt_dump_read_page(struct kt_dump *dump, uint64_t pfn,
				   void *buf);

/* Status from headers and tables alone; decoding may still find corruption. */
enum kt_page_status kt_dump_page_status(struct kt_dump *dump, uint64_t pfn);
const char *kt_page_status_name(enum kt_page_status status);

/*
 * Find the first run of pfns at or after *pfn that the dump holds (present
 * or missing through truncation, i.e. not excluded).  On success sets
 * [*start, *end) and returns true; returns false past the last one.
 */
bool kt_dump_next_range(struct kt_dump *dump, uint64_t pfn, uint64_t *start,
			uint64_t *end);

/* VMCOREINFO text (not NUL-terminated inside the dump; this copy is). */
const char *kt_dump_vmcoreinfo(const struct kt_dump *dump, size_t *len);

size_t kt_dump_prstatus_count(const struct kt_dump *dump);
const struct kt_prstatus *kt_dump_prstatus(const struct kt_dump *dump,
					   size_t index);

/* Every ELF note of the dump, in order, for callers that want the others. */
struct kt_note {
	const char *name;
	uint32_t type;
	const uint8_t *desc;
	size_t desc_size;
};
size_t kt_dump_note_count(const struct kt_dump *dump);
const struct kt_note *kt_dump_note(const struct kt_dump *dump, size_t index);

const char *kt_compression_name(unsigned mask, char *buf, size_t len);

#endif
