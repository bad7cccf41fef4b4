/* SPDX-License-Identifier: MIT */
/*
 * What the kernel log's two format readers share: the record list they
 * fill (log.c) and the checked reads of VMCOREINFO layouts and kernel
 * memory they make.  Not a public header; the tests' seam is log.h.
 */
#ifndef KTRIAGE_KERNEL_LOG_READER_H
#define KTRIAGE_KERNEL_LOG_READER_H

#include "log.h"

struct kt_log {
	const char *format;
	struct kt_log_record *records;
	size_t count, capacity;
	/* Texts and dictionaries, NUL-terminated, one after the other. */
	char *strings;
	size_t strings_len, strings_capacity;
	/* Where each record's text and dict start in strings, while building. */
	size_t *text_offsets, *dict_offsets;
	size_t problems;
	char *first_problem;
};

/* A record without a dictionary. */
#define KT_LOG_NO_DICT SIZE_MAX

/* Count a skipped or truncated record; the first reason is kept. */
void kt_log_problem(struct kt_log *log, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append len bytes and a NUL at *offset; false when out of memory. */
bool kt_log_add_string(struct kt_log *log, const void *bytes, size_t len, size_t *offset);
/* Add a record whose text and dict strings were already appended. */
struct kt_error *kt_log_add_record(struct kt_log *log, const struct kt_log_record *record,
				   size_t text_offset, size_t dict_offset);

/* Does [offset, offset + width) lie inside size bytes? */
static inline bool kt_log_fits(uint64_t offset, uint64_t width, uint64_t size)
{
	return offset <= size && width <= size - offset;
}

/* SIZE(name), required to be 1..max bytes. */
struct kt_error *kt_log_struct_size(const struct kt_vmcoreinfo *vi, const char *name,
				    uint64_t max, uint64_t *size);
/* OFFSET(name) plus base, for a member width bytes wide inside size bytes. */
struct kt_error *kt_log_member(const struct kt_vmcoreinfo *vi, const char *name, uint64_t base,
			       uint64_t width, uint64_t size, uint64_t *offset);
struct kt_error *kt_log_read_u64(const struct kt_log_source *src, uint64_t vaddr,
				 uint64_t *value);
struct kt_error *kt_log_read_u32(const struct kt_log_source *src, uint64_t vaddr,
				 uint32_t *value);
/* The most bytes one log may take: KT_LOG_MAX_BYTES or the kernel's memory. */
uint64_t kt_log_max_bytes(const struct kt_log_source *src);
/* Copy size bytes of kernel memory into a new buffer, the last byte first. */
struct kt_error *kt_log_read_array(const struct kt_log_source *src, const char *what,
				   uint64_t vaddr, uint64_t size, uint8_t **out);

/* The two formats (log_prb.c, log_legacy.c): every record into log. */
struct kt_error *kt_log_prb_load(const struct kt_log_source *src, uint64_t prb,
				 struct kt_log *log);
struct kt_error *kt_log_legacy_load(const struct kt_log_source *src, uint64_t log_buf,
				    struct kt_log *log);

#endif
