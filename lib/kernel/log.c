// SPDX-License-Identifier: MIT
/*
 * The kernel log, read from the dump the way the kernel itself reads it:
 * the record list both formats' readers fill (log_prb.c, log_legacy.c),
 * the choice between them, and the kernel's log built once on first use.
 *
 * Linux 5.10+ keeps it in the lockless printk ringbuffer
 * (kernel/printk/printk_ringbuffer.c): a ring of descriptors, each a state
 * word (descriptor id + 2 state bits) and the logical positions (lpos) of
 * its text in a data ring, beside an array of struct printk_info (seq,
 * timestamp, text_len, level, caller, device).  A data block is the
 * descriptor id (one unsigned long) followed by the text; a block that does
 * not fit before the end of the ring is stored whole at its start.  Ids and
 * lpos values grow without bound; the low bits index the arrays.
 *
 * Older kernels (3.5 .. 5.9) keep variable-length struct printk_log
 * records in one char array, log_buf, from log_first_idx to log_next_idx;
 * a record of length 0 marks the end and sends the reader back to 0.
 *
 * Every value comes from a dump that may be damaged: each offset is checked
 * against the structure's size, each length against the buffer, and every
 * walk is bounded by the number of slots it can visit.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log_reader.h"

/* ---- Building the record list ---------------------------------------- */

void kt_log_problem(struct kt_log *log, const char *fmt, ...)
{
	if (log->problems++ == 0) {
		va_list ap;
		va_start(ap, fmt);
		if (vasprintf(&log->first_problem, fmt, ap) < 0)
			log->first_problem = NULL;
		va_end(ap);
	}
}

/* Append len bytes and a NUL at *offset; false when out of memory. */
bool kt_log_add_string(struct kt_log *log, const void *bytes, size_t len,
		       size_t *offset)
{
	if (len >= SIZE_MAX / 4 - log->strings_len)
		return false;
	size_t need = log->strings_len + len + 1;
	if (need > log->strings_capacity) {
		size_t capacity = log->strings_capacity ? log->strings_capacity : 16384;
		while (capacity < need)
			capacity *= 2;
		char *strings = realloc(log->strings, capacity);
		if (!strings)
			return false;
		log->strings = strings;
		log->strings_capacity = capacity;
	}
	*offset = log->strings_len;
	memcpy(log->strings + *offset, bytes, len);
	log->strings[*offset + len] = '\0';
	log->strings_len = need;
	return true;
}

static struct kt_error *grow_records(struct kt_log *log)
{
	if (log->count < log->capacity)
		return NULL;
	size_t capacity = log->capacity ? log->capacity * 2 : 1024;
	struct kt_log_record *records =
		realloc(log->records, capacity * sizeof(*records));
	if (records)
		log->records = records;
	size_t *text = realloc(log->text_offsets, capacity * sizeof(*text));
	if (text)
		log->text_offsets = text;
	size_t *dict = realloc(log->dict_offsets, capacity * sizeof(*dict));
	if (dict)
		log->dict_offsets = dict;
	if (!records || !text || !dict)
		return &kt_error_out_of_memory;
	log->capacity = capacity;
	return NULL;
}

/* Add a record whose text and dict strings were already appended. */
struct kt_error *kt_log_add_record(struct kt_log *log,
				   const struct kt_log_record *record,
				   size_t text_offset, size_t dict_offset)
{
	struct kt_error *err = grow_records(log);
	if (err)
		return err;
	log->records[log->count] = *record;
	log->text_offsets[log->count] = text_offset;
	log->dict_offsets[log->count] = dict_offset;
	log->count++;
	return NULL;
}

/* Point the records at their strings, now that the buffer stops moving. */
static void finish_records(struct kt_log *log)
{
	for (size_t i = 0; i < log->count; i++) {
		log->records[i].text = log->strings + log->text_offsets[i];
		log->records[i].dict = log->dict_offsets[i] == KT_LOG_NO_DICT
					       ? NULL
					       : log->strings + log->dict_offsets[i];
	}
	free(log->text_offsets);
	free(log->dict_offsets);
	log->text_offsets = log->dict_offsets = NULL;
}

/* ---- Reading values and layouts -------------------------------------- */

/* SIZE(name), required to be 1..max bytes. */
struct kt_error *kt_log_struct_size(const struct kt_vmcoreinfo *vi,
				    const char *name, uint64_t max,
				    uint64_t *size)
{
	if (!kt_vmcoreinfo_size(vi, name, size))
		return kt_error_create(KT_ERR_NOT_FOUND,
				       "VMCOREINFO has no SIZE(%s)", name);
	if (*size == 0 || *size > max)
		return kt_error_create(KT_ERR_INVALID,
				       "VMCOREINFO: SIZE(%s)=%" PRIu64
				       " is not 1..%" PRIu64,
				       name, *size, max);
	return NULL;
}

/*
 * OFFSET(name) plus base, for a member width bytes wide that must lie
 * inside a structure of size bytes.
 */
struct kt_error *kt_log_member(const struct kt_vmcoreinfo *vi,
			       const char *name, uint64_t base, uint64_t width,
			       uint64_t size, uint64_t *offset)
{
	uint64_t value;
	if (!kt_vmcoreinfo_offset(vi, name, &value))
		return kt_error_create(KT_ERR_NOT_FOUND,
				       "VMCOREINFO has no OFFSET(%s)", name);
	if (value > size || !kt_log_fits(base + value, width, size))
		return kt_error_create(KT_ERR_INVALID,
				       "VMCOREINFO: OFFSET(%s)=%" PRIu64
				       " does not fit a %" PRIu64
				       "-byte member in %" PRIu64 " bytes",
				       name, value, width, size);
	*offset = base + value;
	return NULL;
}

struct kt_error *kt_log_read_u64(const struct kt_log_source *src,
				 uint64_t vaddr, uint64_t *value)
{
	return src->read(src->context, vaddr, value, sizeof(*value));
}

struct kt_error *kt_log_read_u32(const struct kt_log_source *src,
				 uint64_t vaddr, uint32_t *value)
{
	return src->read(src->context, vaddr, value, sizeof(*value));
}

uint64_t kt_log_max_bytes(const struct kt_log_source *src)
{
	return src->max_bytes && src->max_bytes < KT_LOG_MAX_BYTES ? src->max_bytes
								   : KT_LOG_MAX_BYTES;
}

/*
 * Copy size bytes of kernel memory into a new buffer.  The last byte is
 * read first, so that a damaged size or address fails before the buffer
 * for it is allocated.
 */
struct kt_error *kt_log_read_array(const struct kt_log_source *src,
				   const char *what, uint64_t vaddr,
				   uint64_t size, uint8_t **out)
{
	uint8_t last;
	struct kt_error *err = size ? src->read(src->context, vaddr + size - 1,
						&last, 1)
				    : NULL;
	uint8_t *buf = err ? NULL : malloc(size ? size : 1);
	if (!err && !buf)
		return &kt_error_out_of_memory;
	if (!err)
		err = src->read(src->context, vaddr, buf, size);
	if (err) {
		free(buf);
		return kt_error_wrap(err, "%s (%" PRIu64 " bytes at 0x%" PRIx64 ")",
				     what, size, vaddr);
	}
	*out = buf;
	return NULL;
}

/* ---- The log --------------------------------------------------------- */

struct kt_error *kt_log_load(const struct kt_log_source *source,
			     struct kt_log **out)
{
	struct kt_log *log = calloc(1, sizeof(*log));
	if (!log)
		return &kt_error_out_of_memory;
	const struct kt_vmcoreinfo *vi = source->vmcoreinfo;
	uint64_t symbol;
	struct kt_error *err;
	if (kt_vmcoreinfo_symbol(vi, "prb", &symbol)) {
		log->format = "printk_ringbuffer";
		err = kt_log_prb_load(source, symbol, log);
	} else if (kt_vmcoreinfo_symbol(vi, "log_buf", &symbol)) {
		log->format = "log_buf";
		err = kt_log_legacy_load(source, symbol, log);
	} else {
		err = kt_error_create(KT_ERR_UNSUPPORTED,
				      "VMCOREINFO has neither SYMBOL(prb) nor "
				      "SYMBOL(log_buf)");
	}
	if (err) {
		kt_log_free(log);
		return err;
	}
	finish_records(log);
	*out = log;
	return NULL;
}

void kt_log_free(struct kt_log *log)
{
	if (!log)
		return;
	free(log->records);
	free(log->strings);
	free(log->text_offsets);
	free(log->dict_offsets);
	free(log->first_problem);
	free(log);
}

const struct kt_log_record *kt_log_get(const struct kt_log *log,
				       size_t *count)
{
	*count = log->count;
	return log->records;
}

const char *kt_log_format(const struct kt_log *log)
{
	return log->format;
}

size_t kt_log_problem_count(const struct kt_log *log)
{
	return log->problems;
}

const char *kt_log_first_problem(const struct kt_log *log)
{
	return log->first_problem ? log->first_problem : "";
}

/* ---- The kernel's log ------------------------------------------------ */

static struct kt_error *read_kernel(void *context, uint64_t vaddr, void *buf,
				    size_t len)
{
	return kt_kernel_read(context, vaddr, buf, len);
}

struct kt_error *kt_log_records(struct kt_kernel *kernel,
				const struct kt_log_record **records,
				size_t *count)
{
	if (!kernel->log) {
		const struct kt_dump_info *info = kt_dump_info(kernel->dump);
		struct kt_log_source source = {
			.vmcoreinfo = kernel->vmcoreinfo,
			.read = read_kernel,
			.context = kernel,
			.max_bytes = info->max_pfn < UINT64_MAX / info->page_size
					     ? info->max_pfn * info->page_size : 0,
		};
		struct kt_log *log;
		struct kt_error *err = kt_log_load(&source, &log);
		if (err)
			return kt_error_wrap(err, "%s: kernel log",
					     kt_dump_info(kernel->dump)->path);
		if (log->problems)
			kt_kernel_warn(kernel, "kernel log: %zu record(s) skipped "
				       "or truncated as inconsistent; first: %s",
				       log->problems, kt_log_first_problem(log));
		kernel->log = log;
	}
	*records = kt_log_get(kernel->log, count);
	return NULL;
}

void kt_log_destroy(struct kt_kernel *kernel)
{
	kt_log_free(kernel->log);
	kernel->log = NULL;
}
