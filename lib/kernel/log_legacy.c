// SPDX-License-Identifier: MIT
/*
 * The legacy log_buf (3.5 .. 5.9): variable-length struct printk_log
 * records in one char array, from log_first_idx to log_next_idx; a record
 * of length 0 sends the reader back to 0.  Offsets come from VMCOREINFO,
 * lengths are checked against the buffer, the walk is bounded (log.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktriage/base.h"
#include "log_reader.h"

/* ---- The legacy log_buf (3.5 .. 5.9) ------------------------------ */

struct legacy_layout {
	uint64_t size, ts_nsec, len, text_len, dict_len;
	uint64_t facility, level, caller_id;
	bool has_caller_id;
};

/* The record struct is "printk_log" since 3.11, "log" before. */
static struct kt_error *legacy_layout(const struct kt_vmcoreinfo *vi,
				      struct legacy_layout *l)
{
	const char *name = "printk_log";
	uint64_t unused;
	if (!kt_vmcoreinfo_size(vi, name, &unused) &&
	    kt_vmcoreinfo_size(vi, "log", &unused))
		name = "log";
	char key[4][32];
	snprintf(key[0], sizeof(key[0]), "%s.ts_nsec", name);
	snprintf(key[1], sizeof(key[1]), "%s.len", name);
	snprintf(key[2], sizeof(key[2]), "%s.text_len", name);
	snprintf(key[3], sizeof(key[3]), "%s.dict_len", name);
	struct kt_error *err;
	if ((err = kt_log_struct_size(vi, name, 4096, &l->size)) ||
	    (err = kt_log_member(vi, key[0], 0, 8, l->size, &l->ts_nsec)) ||
	    (err = kt_log_member(vi, key[1], 0, 2, l->size, &l->len)) ||
	    (err = kt_log_member(vi, key[2], 0, 2, l->size, &l->text_len)) ||
	    (err = kt_log_member(vi, key[3], 0, 2, l->size, &l->dict_len)))
		return err;
	/* facility, flags:5 level:3, then caller_id (4.19+, optional). */
	if (!kt_log_fits(l->dict_len, 4, l->size))
		return kt_error_create(KT_ERR_INVALID,
				       "VMCOREINFO: %s has no room for the level", name);
	l->facility = l->dict_len + 2;
	l->level = l->dict_len + 3;
	l->caller_id = l->dict_len + 4;
	l->has_caller_id = kt_log_fits(l->caller_id, 4, l->size);
	return NULL;
}

/* Dictionaries are "KEY=value" strings separated by NULs; use newlines. */
static bool legacy_dict(struct kt_log *log, const uint8_t *dict, size_t len,
			size_t *offset)
{
	*offset = KT_LOG_NO_DICT;
	if (!len)
		return true;
	if (!kt_log_add_string(log, dict, len, offset))
		return false;
	for (size_t i = 0; i < len; i++)
		if (log->strings[*offset + i] == '\0')
			log->strings[*offset + i] = '\n';
	return true;
}

static struct kt_error *legacy_add(struct kt_log *log,
				   const struct legacy_layout *l,
				   const uint8_t *msg, uint64_t len, uint64_t idx)
{
	uint64_t room = len - l->size;
	uint64_t text_len = kt_le16(msg + l->text_len);
	uint64_t dict_len = kt_le16(msg + l->dict_len);
	if (text_len > room || dict_len > room - text_len) {
		kt_log_problem(log, "log_buf record at %" PRIu64 ": text_len %" PRIu64
			    " + dict_len %" PRIu64 " exceed its %" PRIu64
			    " bytes; truncated", idx, text_len, dict_len, room);
		text_len = text_len > room ? room : text_len;
		dict_len = room - text_len;
	}
	struct kt_log_record record = {
		.seq = log->count,
		.ts_nsec = kt_le64(msg + l->ts_nsec),
		.level = msg[l->level] >> 5,
		.facility = msg[l->facility],
		.caller_id = l->has_caller_id ? kt_le32(msg + l->caller_id) : 0,
		.text_len = text_len,
	};
	size_t text, dict;
	if (!kt_log_add_string(log, msg + l->size, text_len, &text) ||
	    !legacy_dict(log, msg + l->size + text_len, dict_len, &dict))
		return &kt_error_out_of_memory;
	return kt_log_add_record(log, &record, text, dict);
}

/*
 * From first to next, as the kernel's log_from_idx()/log_next() go.  The
 * walk may consume at most the buffer once and wrap at most once.
 */
static struct kt_error *legacy_walk(struct kt_log *log,
				    const struct legacy_layout *l,
				    const uint8_t *buf, uint64_t buf_len,
				    uint64_t first, uint64_t next)
{
	uint64_t idx = first, consumed = 0;
	bool wrapped = false;
	while (idx != next) {
		if (!kt_log_fits(idx, l->size, buf_len)) {
			kt_log_problem(log, "log_buf record at %" PRIu64
				    " runs past the %" PRIu64 "-byte buffer",
				    idx, buf_len);
			return NULL;
		}
		uint64_t len = kt_le16(buf + idx + l->len);
		if (len == 0) {
			if (wrapped) {
				kt_log_problem(log, "log_buf wraps twice without "
					    "reaching log_next_idx %" PRIu64, next);
				return NULL;
			}
			wrapped = true;
			consumed += buf_len - idx;
			idx = 0;
			continue;
		}
		if (len < l->size || !kt_log_fits(idx, len, buf_len) ||
		    (consumed += len) > buf_len) {
			kt_log_problem(log, "log_buf record at %" PRIu64 " of length %"
				    PRIu64 " does not lead to log_next_idx %" PRIu64,
				    idx, len, next);
			return NULL;
		}
		struct kt_error *err = legacy_add(log, l, buf + idx, len, idx);
		if (err)
			return err;
		idx += len;
	}
	return NULL;
}

struct kt_error *kt_log_legacy_load(const struct kt_log_source *src,
				    uint64_t log_buf_symbol, struct kt_log *log)
{
	const struct kt_vmcoreinfo *vi = src->vmcoreinfo;
	struct legacy_layout layout;
	uint64_t len_symbol, first_symbol, next_symbol, buf_address;
	uint32_t buf_len, first, next;
	struct kt_error *err = legacy_layout(vi, &layout);
	if (err)
		return err;
	if (!kt_vmcoreinfo_symbol(vi, "log_buf_len", &len_symbol) ||
	    !kt_vmcoreinfo_symbol(vi, "log_first_idx", &first_symbol) ||
	    !kt_vmcoreinfo_symbol(vi, "log_next_idx", &next_symbol))
		return kt_error_create(KT_ERR_NOT_FOUND,
				       "VMCOREINFO has SYMBOL(log_buf) but not "
				       "log_buf_len, log_first_idx and log_next_idx");
	if ((err = kt_log_read_u64(src, log_buf_symbol, &buf_address)) ||
	    (err = kt_log_read_u32(src, len_symbol, &buf_len)) ||
	    (err = kt_log_read_u32(src, first_symbol, &first)) ||
	    (err = kt_log_read_u32(src, next_symbol, &next)))
		return kt_error_wrap(err, "reading the log_buf variables");
	if (buf_len < layout.size || buf_len > kt_log_max_bytes(src) ||
	    first >= buf_len || next >= buf_len)
		return kt_error_create(KT_ERR_INVALID,
				       "log_buf: impossible log_buf_len %" PRIu32
				       ", log_first_idx %" PRIu32 ", log_next_idx %" PRIu32,
				       buf_len, first, next);
	if (buf_len > (UINT32_C(1) << KT_LOG_MAX_TEXT_BITS))
		return kt_error_create(KT_ERR_INVALID,
				       "log_buf: %" PRIu32 " bytes, more than the %u MiB a kernel "
				       "can be built with: not read", buf_len,
				       1u << (KT_LOG_MAX_TEXT_BITS - 20));
	uint8_t *buf;
	if ((err = kt_log_read_array(src, "log_buf", buf_address, buf_len, &buf)))
		return err;
	err = legacy_walk(log, &layout, buf, buf_len, first, next);
	free(buf);
	return err;
}
