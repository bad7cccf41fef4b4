// SPDX-License-Identifier: MIT
/*
 * The kernel log, read from the dump the way the kernel itself reads it.
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

#define NO_DICT SIZE_MAX

/* ---- Building the record list ---------------------------------------- */

static void add_problem(struct kt_log *log, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add_problem(struct kt_log *log, const char *fmt, ...)
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
static bool add_string(struct kt_log *log, const void *bytes, size_t len,
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
static struct kt_error *add_record(struct kt_log *log,
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
		log->records[i].dict = log->dict_offsets[i] == NO_DICT
					       ? NULL
					       : log->strings + log->dict_offsets[i];
	}
	free(log->text_offsets);
	free(log->dict_offsets);
	log->text_offsets = log->dict_offsets = NULL;
}

/* ---- Reading values and layouts -------------------------------------- */

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t get_u32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint16_t get_u16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* Does [offset, offset + width) lie inside size bytes? */
static bool fits(uint64_t offset, uint64_t width, uint64_t size)
{
	return offset <= size && width <= size - offset;
}

/* SIZE(name), required to be 1..max bytes. */
static struct kt_error *struct_size(const struct kt_vmcoreinfo *vi,
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
static struct kt_error *member(const struct kt_vmcoreinfo *vi,
			       const char *name, uint64_t base, uint64_t width,
			       uint64_t size, uint64_t *offset)
{
	uint64_t value;
	if (!kt_vmcoreinfo_offset(vi, name, &value))
		return kt_error_create(KT_ERR_NOT_FOUND,
				       "VMCOREINFO has no OFFSET(%s)", name);
	if (value > size || !fits(base + value, width, size))
		return kt_error_create(KT_ERR_INVALID,
				       "VMCOREINFO: OFFSET(%s)=%" PRIu64
				       " does not fit a %" PRIu64
				       "-byte member in %" PRIu64 " bytes",
				       name, value, width, size);
	*offset = base + value;
	return NULL;
}

static struct kt_error *read_u64(const struct kt_log_source *src,
				 uint64_t vaddr, uint64_t *value)
{
	return src->read(src->context, vaddr, value, sizeof(*value));
}

static struct kt_error *read_u32(const struct kt_log_source *src,
				 uint64_t vaddr, uint32_t *value)
{
	return src->read(src->context, vaddr, value, sizeof(*value));
}

static uint64_t max_bytes(const struct kt_log_source *src)
{
	return src->max_bytes && src->max_bytes < KT_LOG_MAX_BYTES ? src->max_bytes
								   : KT_LOG_MAX_BYTES;
}

/*
 * Copy size bytes of kernel memory into a new buffer.  The last byte is
 * read first, so that a damaged size or address fails before the buffer
 * for it is allocated.
 */
static struct kt_error *read_array(const struct kt_log_source *src,
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

/* ---- The lockless ringbuffer (5.10+) ------------------------------- */

#define DESC_FLAGS_SHIFT 62
#define DESC_ID_MASK ((UINT64_C(1) << DESC_FLAGS_SHIFT) - 1)
#define ID_SIZE 8 /* the descriptor id heading each data block */
#define FAILED_LPOS 0x1
#define NO_LPOS 0x3

enum desc_state {
	DESC_RESERVED = 0,
	DESC_COMMITTED = 1,
	DESC_FINALIZED = 2,
	DESC_REUSABLE = 3,
};

/* Where each field lies, from VMCOREINFO; offsets into the named struct. */
struct prb_layout {
	uint64_t rb_size;
	uint64_t count_bits, descs, infos, head_id, tail_id;
	uint64_t size_bits, data;
	uint64_t desc_size, state_var, text_begin, text_next;
	uint64_t info_size, seq, ts_nsec, text_len, facility, level, caller_id;
	bool has_caller_id;
	bool has_device;
	uint64_t subsystem, subsystem_len, device, device_len;
};

/* The ring copied out of the dump. */
struct prb {
	const struct prb_layout *layout;
	uint64_t count;     /* descriptors, a power of 2 */
	uint64_t data_size; /* bytes of the text ring, a power of 2 */
	uint8_t *descs, *infos, *data;
};

static struct kt_error *prb_ring_layout(const struct kt_vmcoreinfo *vi,
					struct prb_layout *l)
{
	uint64_t desc_ring, text_ring, ring_size, data_ring_size, counter = 0;
	struct kt_error *err;
	(void)kt_vmcoreinfo_offset(vi, "atomic_long_t.counter", &counter);
	if (counter > 8)
		return kt_error_create(KT_ERR_INVALID,
				       "VMCOREINFO: OFFSET(atomic_long_t.counter)=%" PRIu64,
				       counter);
	if ((err = struct_size(vi, "printk_ringbuffer", 4096, &l->rb_size)) ||
	    (err = struct_size(vi, "prb_desc_ring", 4096, &ring_size)) ||
	    (err = struct_size(vi, "prb_data_ring", 4096, &data_ring_size)) ||
	    (err = member(vi, "printk_ringbuffer.desc_ring", 0, ring_size,
			  l->rb_size, &desc_ring)) ||
	    (err = member(vi, "printk_ringbuffer.text_data_ring", 0,
			  data_ring_size, l->rb_size, &text_ring)) ||
	    (err = member(vi, "prb_desc_ring.count_bits", desc_ring, 4,
			  desc_ring + ring_size, &l->count_bits)) ||
	    (err = member(vi, "prb_desc_ring.descs", desc_ring, 8,
			  desc_ring + ring_size, &l->descs)) ||
	    (err = member(vi, "prb_desc_ring.infos", desc_ring, 8,
			  desc_ring + ring_size, &l->infos)) ||
	    (err = member(vi, "prb_desc_ring.head_id", desc_ring + counter, 8,
			  desc_ring + ring_size, &l->head_id)) ||
	    (err = member(vi, "prb_desc_ring.tail_id", desc_ring + counter, 8,
			  desc_ring + ring_size, &l->tail_id)) ||
	    (err = member(vi, "prb_data_ring.size_bits", text_ring, 4,
			  text_ring + data_ring_size, &l->size_bits)) ||
	    (err = member(vi, "prb_data_ring.data", text_ring, 8,
			  text_ring + data_ring_size, &l->data)))
		return err;
	return NULL;
}

static struct kt_error *prb_desc_layout(const struct kt_vmcoreinfo *vi,
					struct prb_layout *l)
{
	uint64_t counter = 0, lpos, lpos_size;
	struct kt_error *err;
	(void)kt_vmcoreinfo_offset(vi, "atomic_long_t.counter", &counter);
	if ((err = struct_size(vi, "prb_desc", 4096, &l->desc_size)) ||
	    (err = struct_size(vi, "prb_data_blk_lpos", 4096, &lpos_size)) ||
	    (err = member(vi, "prb_desc.state_var", counter, 8, l->desc_size,
			  &l->state_var)) ||
	    (err = member(vi, "prb_desc.text_blk_lpos", 0, lpos_size,
			  l->desc_size, &lpos)) ||
	    (err = member(vi, "prb_data_blk_lpos.begin", lpos, 8,
			  lpos + lpos_size, &l->text_begin)) ||
	    (err = member(vi, "prb_data_blk_lpos.next", lpos, 8,
			  lpos + lpos_size, &l->text_next)))
		return err;
	return NULL;
}

/* The device a record came from (dev_printk_info), when VMCOREINFO says. */
static void prb_device_layout(const struct kt_vmcoreinfo *vi,
			      struct prb_layout *l)
{
	uint64_t dev_info, dev_size, subsystem, device;
	l->has_device =
		kt_vmcoreinfo_offset(vi, "printk_info.dev_info", &dev_info) &&
		kt_vmcoreinfo_size(vi, "dev_printk_info", &dev_size) &&
		fits(dev_info, dev_size, l->info_size) &&
		kt_vmcoreinfo_offset(vi, "dev_printk_info.subsystem", &subsystem) &&
		kt_vmcoreinfo_offset(vi, "dev_printk_info.device", &device) &&
		kt_vmcoreinfo_length(vi, "printk_info_subsystem", &l->subsystem_len) &&
		kt_vmcoreinfo_length(vi, "printk_info_device", &l->device_len) &&
		fits(subsystem, l->subsystem_len, dev_size) &&
		fits(device, l->device_len, dev_size);
	if (l->has_device) {
		l->subsystem = dev_info + subsystem;
		l->device = dev_info + device;
	}
}

static struct kt_error *prb_info_layout(const struct kt_vmcoreinfo *vi,
					struct prb_layout *l)
{
	struct kt_error *err;
	if ((err = struct_size(vi, "printk_info", 4096, &l->info_size)) ||
	    (err = member(vi, "printk_info.seq", 0, 8, l->info_size, &l->seq)) ||
	    (err = member(vi, "printk_info.ts_nsec", 0, 8, l->info_size,
			  &l->ts_nsec)) ||
	    (err = member(vi, "printk_info.text_len", 0, 2, l->info_size,
			  &l->text_len)))
		return err;
	/*
	 * VMCOREINFO does not describe the facility and the level:flags
	 * bitfield; since 5.10 they are the two bytes after text_len, level
	 * in the top 3 bits (flags:5 then level:3, little-endian).
	 */
	l->facility = l->text_len + 2;
	l->level = l->text_len + 3;
	if (!fits(l->text_len, 4, l->info_size))
		return kt_error_create(KT_ERR_INVALID,
				       "VMCOREINFO: printk_info.text_len at %" PRIu64
				       " leaves no room for the level in %" PRIu64 " bytes",
				       l->text_len, l->info_size);
	struct kt_error *no_caller_id = member(vi, "printk_info.caller_id", 0, 4,
					       l->info_size, &l->caller_id);
	l->has_caller_id = !no_caller_id;
	kt_error_free(no_caller_id);
	prb_device_layout(vi, l);
	return NULL;
}

static struct kt_error *prb_layout(const struct kt_vmcoreinfo *vi,
				   struct prb_layout *l)
{
	struct kt_error *err;
	memset(l, 0, sizeof(*l));
	if ((err = prb_ring_layout(vi, l)) || (err = prb_desc_layout(vi, l)) ||
	    (err = prb_info_layout(vi, l)))
		return err;
	return NULL;
}

static const uint8_t *prb_desc(const struct prb *r, uint64_t id)
{
	return r->descs + (id & (r->count - 1)) * r->layout->desc_size;
}

static const uint8_t *prb_info(const struct prb *r, uint64_t id)
{
	return r->infos + (id & (r->count - 1)) * r->layout->info_size;
}

/* Committed or finalized, and really holding id (not a stale or newer one). */
static bool prb_readable(const struct prb *r, uint64_t id)
{
	uint64_t state_var = get_u64(prb_desc(r, id) + r->layout->state_var);
	enum desc_state state = (enum desc_state)(state_var >> DESC_FLAGS_SHIFT);
	return (state_var & DESC_ID_MASK) == id &&
	       (state == DESC_COMMITTED || state == DESC_FINALIZED);
}

/* seq - id, which every record written since boot shares. */
static uint64_t prb_seq_delta(const struct prb *r, uint64_t id)
{
	return (get_u64(prb_info(r, id) + r->layout->seq) - id) & DESC_ID_MASK;
}

/*
 * Each reservation takes the next id and the next seq, so seq - id (mod
 * the id space) is the same for every record; a descriptor that disagrees
 * holds a torn or damaged info.  The majority vote finds the common value
 * even when the oldest or newest record is the damaged one.
 */
static uint64_t prb_common_seq_delta(const struct prb *r, uint64_t tail,
				     uint64_t span)
{
	uint64_t candidate = 0, votes = 0;
	for (uint64_t i = 0; i <= span; i++) {
		uint64_t id = (tail + i) & DESC_ID_MASK;
		if (!prb_readable(r, id))
			continue;
		uint64_t delta = prb_seq_delta(r, id);
		if (votes == 0)
			candidate = delta;
		if (delta == candidate)
			votes++;
		else
			votes--;
	}
	return candidate;
}

/*
 * Where a descriptor's text lies in the data ring, decided as the kernel's
 * get_data() does.  Returns 1 with the block (id word included) at *offset
 * and *size bytes long, 0 for a data-less record with no text, -1 when
 * there is no usable text.
 */
static int prb_text_block(struct kt_log *log, const struct prb *r,
			  uint64_t id, uint64_t *offset, uint64_t *size)
{
	const uint8_t *desc = prb_desc(r, id);
	uint64_t begin = get_u64(desc + r->layout->text_begin);
	uint64_t next = get_u64(desc + r->layout->text_next);
	uint64_t bits = __builtin_ctzll(r->data_size), mask = r->data_size - 1;

	if ((begin & 1) && (next & 1)) {
		if (begin == NO_LPOS && next == NO_LPOS)
			return 0;
		add_problem(log, "descriptor %" PRIu64 ": its text was never stored "
			    "(lpos 0x%" PRIx64 "..0x%" PRIx64 ")", id, begin, next);
		return -1;
	}
	if (begin % ID_SIZE || next % ID_SIZE)
		goto invalid;
	if (begin >> bits == next >> bits && begin < next) {
		*offset = begin & mask; /* a regular block */
		*size = next - begin;
	} else if ((next & mask) == 0 && begin != next &&
		   (next - 1) >> bits == begin >> bits) {
		/* ends exactly at the end of the ring (newer kernels) */
		*offset = begin & mask;
		*size = r->data_size - *offset;
	} else if ((begin + r->data_size) >> bits == next >> bits) {
		*offset = 0; /* wrapped: the whole block is at the start */
		*size = next & mask;
	} else {
		goto invalid;
	}
	if (*size < ID_SIZE)
		goto invalid;
	uint64_t block_id = get_u64(r->data + *offset);
	if ((block_id & DESC_ID_MASK) != id) {
		add_problem(log, "descriptor %" PRIu64 ": its data block at lpos 0x%"
			    PRIx64 " belongs to descriptor %" PRIu64, id, begin,
			    block_id);
		return -1;
	}
	return 1;
invalid:
	add_problem(log, "descriptor %" PRIu64 ": impossible text lpos 0x%" PRIx64
		    "..0x%" PRIx64 " in a %" PRIu64 "-byte ring", id, begin, next,
		    r->data_size);
	return -1;
}

/*
 * "SUBSYSTEM=pci\nDEVICE=+pci:0000:00:01.0" at *offset, or NO_DICT when
 * the record names neither; false when out of memory.
 */
static bool prb_dict(struct kt_log *log, const struct prb *r, uint64_t id,
		     size_t *offset)
{
	const struct prb_layout *l = r->layout;
	*offset = NO_DICT;
	if (!l->has_device)
		return true;
	const char *subsystem = (const char *)prb_info(r, id) + l->subsystem;
	const char *device = (const char *)prb_info(r, id) + l->device;
	size_t subsystem_len = strnlen(subsystem, l->subsystem_len);
	size_t device_len = strnlen(device, l->device_len);
	if (!subsystem_len && !device_len)
		return true;
	char buf[64 + 4096 * 2];
	int n = 0;
	if (subsystem_len)
		n += snprintf(buf + n, sizeof(buf) - n, "SUBSYSTEM=%.*s",
			      (int)subsystem_len, subsystem);
	if (device_len)
		n += snprintf(buf + n, sizeof(buf) - n, "%sDEVICE=%.*s",
			      subsystem_len ? "\n" : "", (int)device_len, device);
	return add_string(log, buf, (size_t)n, offset);
}

static struct kt_error *prb_add(struct kt_log *log, const struct prb *r,
				uint64_t id, uint64_t seq)
{
	const struct prb_layout *l = r->layout;
	const uint8_t *info = prb_info(r, id);
	uint64_t offset = 0, size = ID_SIZE;
	int found = prb_text_block(log, r, id, &offset, &size);
	if (found < 0)
		return NULL;
	uint64_t text_len = found ? get_u16(info + l->text_len) : 0;
	if (text_len > size - ID_SIZE) {
		add_problem(log, "descriptor %" PRIu64 ": text_len %" PRIu64
			    " exceeds its %" PRIu64 "-byte block; truncated",
			    id, text_len, size - ID_SIZE);
		text_len = size - ID_SIZE;
	}
	struct kt_log_record record = {
		.seq = seq,
		.ts_nsec = get_u64(info + l->ts_nsec),
		.level = info[l->level] >> 5,
		.facility = info[l->facility],
		.caller_id = l->has_caller_id ? get_u32(info + l->caller_id) : 0,
		.text_len = text_len,
	};
	size_t text, dict;
	if (!add_string(log, r->data + offset + ID_SIZE, text_len, &text) ||
	    !prb_dict(log, r, id, &dict))
		return &kt_error_out_of_memory;
	return add_record(log, &record, text, dict);
}

/* Records from the tail (oldest) to the head (newest), inclusive. */
static struct kt_error *prb_walk(struct kt_log *log, const struct prb *r,
				 const uint8_t *rb)
{
	uint64_t head = get_u64(rb + r->layout->head_id) & DESC_ID_MASK;
	uint64_t tail = get_u64(rb + r->layout->tail_id) & DESC_ID_MASK;
	uint64_t span = (head - tail) & DESC_ID_MASK;
	if (span >= r->count) {
		add_problem(log, "tail_id %" PRIu64 " and head_id %" PRIu64
			    " are further apart than the %" PRIu64
			    " descriptors; reading the newest only",
			    tail, head, r->count);
		span = r->count - 1;
		tail = (head - span) & DESC_ID_MASK;
	}
	uint64_t delta = prb_common_seq_delta(r, tail, span);
	for (uint64_t i = 0; i <= span; i++) {
		uint64_t id = (tail + i) & DESC_ID_MASK;
		if (!prb_readable(r, id))
			continue;
		uint64_t seq = get_u64(prb_info(r, id) + r->layout->seq);
		if (prb_seq_delta(r, id) != delta) {
			add_problem(log, "descriptor %" PRIu64 ": seq %" PRIu64
				    " does not match its place in the ring (%" PRIu64 ")",
				    id, seq, (id + delta) & DESC_ID_MASK);
			continue;
		}
		struct kt_error *err = prb_add(log, r, id, seq);
		if (err)
			return err;
	}
	return NULL;
}

/* Copy the descriptor, info and text arrays the ringbuffer points to. */
static struct kt_error *prb_read_rings(const struct kt_log_source *src,
				       const uint8_t *rb, struct prb *r)
{
	const struct prb_layout *l = r->layout;
	uint32_t count_bits = get_u32(rb + l->count_bits);
	uint32_t size_bits = get_u32(rb + l->size_bits);
	if (count_bits > 30 || size_bits > 31 || size_bits < 4)
		return kt_error_create(KT_ERR_INVALID,
				       "printk ringbuffer: impossible sizes "
				       "(count_bits %u, size_bits %u)",
				       count_bits, size_bits);
	r->count = UINT64_C(1) << count_bits;
	r->data_size = UINT64_C(1) << size_bits;
	uint64_t descs_size = r->count * l->desc_size;
	uint64_t infos_size = r->count * l->info_size;
	if (descs_size + infos_size + r->data_size > max_bytes(src))
		return kt_error_create(KT_ERR_INVALID,
				       "printk ringbuffer: %" PRIu64 " descriptors and a %"
				       PRIu64 "-byte text ring exceed the %" PRIu64 "-byte limit",
				       r->count, r->data_size, max_bytes(src));
	if (size_bits > KT_LOG_MAX_TEXT_BITS)
		return kt_error_create(KT_ERR_INVALID,
				       "printk ringbuffer: a text ring of %" PRIu64 " MiB, more than "
				       "the %u MiB a kernel can be built with: not read",
				       (UINT64_C(1) << size_bits) >> 20,
				       1u << (KT_LOG_MAX_TEXT_BITS - 20));
	struct kt_error *err;
	if ((err = read_array(src, "prb descriptors", get_u64(rb + l->descs),
			      descs_size, &r->descs)) ||
	    (err = read_array(src, "prb infos", get_u64(rb + l->infos),
			      infos_size, &r->infos)) ||
	    (err = read_array(src, "prb text ring", get_u64(rb + l->data),
			      r->data_size, &r->data)))
		return err;
	return NULL;
}

static struct kt_error *prb_load(const struct kt_log_source *src,
				 uint64_t prb_symbol, struct kt_log *log)
{
	struct prb_layout layout;
	struct prb r = { .layout = &layout };
	uint8_t *rb = NULL;
	uint64_t address;
	struct kt_error *err = prb_layout(src->vmcoreinfo, &layout);
	if (!err && (err = read_u64(src, prb_symbol, &address)))
		err = kt_error_wrap(err, "reading prb at 0x%" PRIx64, prb_symbol);
	if (!err)
		err = read_array(src, "struct printk_ringbuffer", address,
				 layout.rb_size, &rb);
	if (!err)
		err = prb_read_rings(src, rb, &r);
	if (!err)
		err = prb_walk(log, &r, rb);
	free(rb);
	free(r.descs);
	free(r.infos);
	free(r.data);
	return err;
}

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
	if ((err = struct_size(vi, name, 4096, &l->size)) ||
	    (err = member(vi, key[0], 0, 8, l->size, &l->ts_nsec)) ||
	    (err = member(vi, key[1], 0, 2, l->size, &l->len)) ||
	    (err = member(vi, key[2], 0, 2, l->size, &l->text_len)) ||
	    (err = member(vi, key[3], 0, 2, l->size, &l->dict_len)))
		return err;
	/* facility, flags:5 level:3, then caller_id (4.19+, optional). */
	if (!fits(l->dict_len, 4, l->size))
		return kt_error_create(KT_ERR_INVALID,
				       "VMCOREINFO: %s has no room for the level", name);
	l->facility = l->dict_len + 2;
	l->level = l->dict_len + 3;
	l->caller_id = l->dict_len + 4;
	l->has_caller_id = fits(l->caller_id, 4, l->size);
	return NULL;
}

/* Dictionaries are "KEY=value" strings separated by NULs; use newlines. */
static bool legacy_dict(struct kt_log *log, const uint8_t *dict, size_t len,
			size_t *offset)
{
	*offset = NO_DICT;
	if (!len)
		return true;
	if (!add_string(log, dict, len, offset))
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
	uint64_t text_len = get_u16(msg + l->text_len);
	uint64_t dict_len = get_u16(msg + l->dict_len);
	if (text_len > room || dict_len > room - text_len) {
		add_problem(log, "log_buf record at %" PRIu64 ": text_len %" PRIu64
			    " + dict_len %" PRIu64 " exceed its %" PRIu64
			    " bytes; truncated", idx, text_len, dict_len, room);
		text_len = text_len > room ? room : text_len;
		dict_len = room - text_len;
	}
	struct kt_log_record record = {
		.seq = log->count,
		.ts_nsec = get_u64(msg + l->ts_nsec),
		.level = msg[l->level] >> 5,
		.facility = msg[l->facility],
		.caller_id = l->has_caller_id ? get_u32(msg + l->caller_id) : 0,
		.text_len = text_len,
	};
	size_t text, dict;
	if (!add_string(log, msg + l->size, text_len, &text) ||
	    !legacy_dict(log, msg + l->size + text_len, dict_len, &dict))
		return &kt_error_out_of_memory;
	return add_record(log, &record, text, dict);
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
		if (!fits(idx, l->size, buf_len)) {
			add_problem(log, "log_buf record at %" PRIu64
				    " runs past the %" PRIu64 "-byte buffer",
				    idx, buf_len);
			return NULL;
		}
		uint64_t len = get_u16(buf + idx + l->len);
		if (len == 0) {
			if (wrapped) {
				add_problem(log, "log_buf wraps twice without "
					    "reaching log_next_idx %" PRIu64, next);
				return NULL;
			}
			wrapped = true;
			consumed += buf_len - idx;
			idx = 0;
			continue;
		}
		if (len < l->size || !fits(idx, len, buf_len) ||
		    (consumed += len) > buf_len) {
			add_problem(log, "log_buf record at %" PRIu64 " of length %"
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

static struct kt_error *legacy_load(const struct kt_log_source *src,
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
	if ((err = read_u64(src, log_buf_symbol, &buf_address)) ||
	    (err = read_u32(src, len_symbol, &buf_len)) ||
	    (err = read_u32(src, first_symbol, &first)) ||
	    (err = read_u32(src, next_symbol, &next)))
		return kt_error_wrap(err, "reading the log_buf variables");
	if (buf_len < layout.size || buf_len > max_bytes(src) ||
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
	if ((err = read_array(src, "log_buf", buf_address, buf_len, &buf)))
		return err;
	err = legacy_walk(log, &layout, buf, buf_len, first, next);
	free(buf);
	return err;
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
		err = prb_load(source, symbol, log);
	} else if (kt_vmcoreinfo_symbol(vi, "log_buf", &symbol)) {
		log->format = "log_buf";
		err = legacy_load(source, symbol, log);
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
