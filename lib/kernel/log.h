/* SPDX-License-Identifier: MIT */
/*
 * The kernel log reader's seam.  It sees kernel memory only through a read
 * callback and its layout only through VMCOREINFO, so tests and fuzzers can
 * hand it a synthetic kernel image; kt_log_records() plugs in the dump.
 */
#ifndef KTRIAGE_KERNEL_LOG_H
#define KTRIAGE_KERNEL_LOG_H

#include "internal.h"

/* Copy len bytes of kernel virtual memory at vaddr, or fail saying why. */
typedef struct kt_error *kt_log_read_fn(void *context, uint64_t vaddr,
					void *buf, size_t len);

struct kt_log_source {
	const struct kt_vmcoreinfo *vmcoreinfo;
	kt_log_read_fn *read;
	void *context;
	uint64_t max_bytes; /* the kernel's memory size; 0: KT_LOG_MAX_BYTES */
};

/*
 * The most kernel memory the reader copies for one log (rings, descriptors,
 * records): a damaged dump must not make it allocate gigabytes.  No log is
 * bigger than the memory of its kernel either (max_bytes, when known).
 */
#define KT_LOG_MAX_BYTES (1ull << 30)
/*
 * The largest log text: CONFIG_LOG_BUF_SHIFT is at most 25 (32 MiB).  A
 * ring claiming more is damage or a trap (a 256 MiB ring of nothing was
 * read whole and printed nothing); it is refused with a note, not read.
 */
#define KT_LOG_MAX_TEXT_BITS 25

/*
 * Read every record still in the log: the lockless ringbuffer when
 * VMCOREINFO has SYMBOL(prb), else the legacy log_buf.  Inconsistent
 * records are skipped (or truncated) and counted, not fatal.
 */
struct kt_error *kt_log_load(const struct kt_log_source *source,
			     struct kt_log **out);
void kt_log_free(struct kt_log *log);

const struct kt_log_record *kt_log_get(const struct kt_log *log,
				       size_t *count);
/* "printk_ringbuffer" or "log_buf". */
const char *kt_log_format(const struct kt_log *log);
/* Records skipped or truncated as inconsistent, and the first reason. */
size_t kt_log_problem_count(const struct kt_log *log);
const char *kt_log_first_problem(const struct kt_log *log);

#endif
