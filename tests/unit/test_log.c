// SPDX-License-Identifier: MIT
/*
 * The kernel log reader on synthetic kernel memory: a lockless printk
 * ringbuffer and a legacy log_buf, each filled by a small writer that
 * follows the kernel's own rules (ids, lpos, wrapping blocks, dropping the
 * oldest records), then damaged field by field.  The reader must return
 * exactly the records still in the log, skip or truncate what is
 * inconsistent, and never crash or loop on hostile values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/kernel/log.h"

/* ---- A fake kernel memory ------------------------------------------- */

#define MAX_REGIONS 8

struct region {
	uint64_t vaddr;
	uint8_t *bytes;
	size_t len;
};

struct image {
	struct region regions[MAX_REGIONS];
	size_t nregions;
	char vmcoreinfo[8192];
	size_t vmcoreinfo_len;
};

static uint8_t *image_map(struct image *im, uint64_t vaddr, size_t len)
{
	assert_true(im->nregions < MAX_REGIONS);
	uint8_t *bytes = calloc(1, len ? len : 1);
	assert_non_null(bytes);
	im->regions[im->nregions++] = (struct region){ vaddr, bytes, len };
	return bytes;
}

static void image_free(struct image *im)
{
	for (size_t i = 0; i < im->nregions; i++)
		free(im->regions[i].bytes);
	im->nregions = 0;
}

static struct kt_error *image_read(void *context, uint64_t vaddr, void *buf,
				   size_t len)
{
	struct image *im = context;
	for (size_t i = 0; i < im->nregions; i++) {
		const struct region *r = &im->regions[i];
		if (vaddr >= r->vaddr && vaddr - r->vaddr <= r->len &&
		    len <= r->len - (vaddr - r->vaddr)) {
			memcpy(buf, r->bytes + (vaddr - r->vaddr), len);
			return NULL;
		}
	}
	return kt_error_create(KT_ERR_FAULT, "address 0x%" PRIx64 " is not mapped",
			       vaddr);
}

static void vmcoreinfo_add(struct image *im, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void vmcoreinfo_add(struct image *im, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	im->vmcoreinfo_len += vsnprintf(im->vmcoreinfo + im->vmcoreinfo_len,
					sizeof(im->vmcoreinfo) - im->vmcoreinfo_len,
					fmt, ap);
	va_end(ap);
	assert_true(im->vmcoreinfo_len < sizeof(im->vmcoreinfo));
}

/* Parse the image's VMCOREINFO and read its log; the caller frees both. */
static struct kt_error *load(struct image *im, struct kt_vmcoreinfo **vi,
			     struct kt_log **log)
{
	struct kt_error *err = kt_vmcoreinfo_parse(im->vmcoreinfo,
						   im->vmcoreinfo_len, vi);
	assert_null(err);
	struct kt_log_source source = { *vi, image_read, im, 0 };
	*log = NULL;
	return kt_log_load(&source, log);
}

static void expect_error(struct image *im, enum kt_error_code code,
			 const char *needle)
{
	struct kt_vmcoreinfo *vi;
	struct kt_log *log;
	struct kt_error *err = load(im, &vi, &log);
	if (!err)
		fail_msg("expected an error containing \"%s\", got %zu records",
			 needle, kt_log_problem_count(log));
	if (err->code != code || !strstr(err->message, needle))
		fail_msg("expected error %d containing \"%s\", got %d: %s", code,
			 needle, err->code, err->message);
	kt_error_free(err);
	kt_vmcoreinfo_free(vi);
}

/* Drop every line of the VMCOREINFO that starts with key. */
static void vmcoreinfo_remove(struct image *im, const char *key)
{
	char *p = im->vmcoreinfo;
	while ((p = strstr(p, key))) {
		if (p != im->vmcoreinfo && p[-1] != '\n') {
			p++;
			continue;
		}
		char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p + 1) : strlen(p);
		memmove(p, p + n, strlen(p + n) + 1);
		im->vmcoreinfo_len -= n;
	}
}

static void vmcoreinfo_set(struct image *im, const char *key,
			   const char *value)
{
	vmcoreinfo_remove(im, key);
	vmcoreinfo_add(im, "%s=%s\n", key, value);
}

static void put_u64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static void put_u32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put_u16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static uint64_t get_u64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* ---- A lockless ringbuffer writer (6.1 layout) ----------------------- */

#define PRB_SYMBOL 0xffffffff81000000ull   /* struct printk_ringbuffer *prb */
#define PRB_ADDRESS 0xffffffff81001000ull  /* the ringbuffer itself */
#define DESCS_ADDRESS 0xffff888000100000ull
#define INFOS_ADDRESS 0xffff888000200000ull
#define TEXT_ADDRESS 0xffff888000400000ull

#define RB_SIZE 88
#define DESC_SIZE 24
#define INFO_SIZE 88
#define ID_MASK ((UINT64_C(1) << 62) - 1)
#define SV(id, state) ((uint64_t)(state) << 62 | (id))
enum { RESERVED, COMMITTED, FINALIZED, REUSABLE };

struct prb_writer {
	struct image im;
	uint8_t *pointer, *rb, *descs, *infos, *text;
	uint64_t count, size;
	uint64_t head_id, tail_id, head_lpos, tail_lpos;
	uint64_t next_seq;
	unsigned wrapped_blocks;
};

static uint8_t *desc_of(struct prb_writer *w, uint64_t id)
{
	return w->descs + (id & (w->count - 1)) * DESC_SIZE;
}

static uint8_t *info_of(struct prb_writer *w, uint64_t id)
{
	return w->infos + (id & (w->count - 1)) * INFO_SIZE;
}

static void prb_vmcoreinfo(struct image *im)
{
	vmcoreinfo_add(im, "OSRELEASE=6.1.0-test\nPAGESIZE=4096\n"
		       "SYMBOL(prb)=%llx\n", (unsigned long long)PRB_SYMBOL);
	static const char *const lines[] = {
		"SIZE(printk_ringbuffer)=88", "OFFSET(printk_ringbuffer.desc_ring)=0",
		"OFFSET(printk_ringbuffer.text_data_ring)=48",
		"OFFSET(printk_ringbuffer.fail)=80", "SIZE(prb_desc_ring)=48",
		"OFFSET(prb_desc_ring.count_bits)=0", "OFFSET(prb_desc_ring.descs)=8",
		"OFFSET(prb_desc_ring.infos)=16", "OFFSET(prb_desc_ring.head_id)=24",
		"OFFSET(prb_desc_ring.tail_id)=32", "SIZE(prb_desc)=24",
		"OFFSET(prb_desc.state_var)=0", "OFFSET(prb_desc.text_blk_lpos)=8",
		"SIZE(prb_data_blk_lpos)=16", "OFFSET(prb_data_blk_lpos.begin)=0",
		"OFFSET(prb_data_blk_lpos.next)=8", "SIZE(printk_info)=88",
		"OFFSET(printk_info.seq)=0", "OFFSET(printk_info.ts_nsec)=8",
		"OFFSET(printk_info.text_len)=16", "OFFSET(printk_info.caller_id)=20",
		"OFFSET(printk_info.dev_info)=24", "SIZE(dev_printk_info)=64",
		"OFFSET(dev_printk_info.subsystem)=0", "OFFSET(dev_printk_info.device)=16",
		"LENGTH(printk_info_subsystem)=16", "LENGTH(printk_info_device)=48",
		"SIZE(prb_data_ring)=32", "OFFSET(prb_data_ring.size_bits)=0",
		"OFFSET(prb_data_ring.data)=8", "OFFSET(prb_data_ring.head_lpos)=16",
		"OFFSET(prb_data_ring.tail_lpos)=24", "SIZE(atomic_long_t)=8",
		"OFFSET(atomic_long_t.counter)=0",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		vmcoreinfo_add(im, "%s\n", lines[i]);
}

/* As DEFINE_PRINTKRB(): empty, ids and lpos about to overflow. */
static void prb_init(struct prb_writer *w, unsigned count_bits,
		     unsigned size_bits)
{
	memset(w, 0, sizeof(*w));
	w->count = 1ull << count_bits;
	w->size = 1ull << size_bits;
	w->pointer = image_map(&w->im, PRB_SYMBOL, 8);
	w->rb = image_map(&w->im, PRB_ADDRESS, RB_SIZE);
	w->descs = image_map(&w->im, DESCS_ADDRESS, w->count * DESC_SIZE);
	w->infos = image_map(&w->im, INFOS_ADDRESS, w->count * INFO_SIZE);
	w->text = image_map(&w->im, TEXT_ADDRESS, w->size);
	put_u64(w->pointer, PRB_ADDRESS);
	put_u32(w->rb + 0, count_bits);
	put_u64(w->rb + 8, DESCS_ADDRESS);
	put_u64(w->rb + 16, INFOS_ADDRESS);
	put_u32(w->rb + 48, size_bits);
	put_u64(w->rb + 56, TEXT_ADDRESS);
	w->head_id = w->tail_id = (-(w->count + 1)) & ID_MASK;
	w->head_lpos = w->tail_lpos = -w->size;
	put_u64(info_of(w, 0), -w->count);
	put_u64(desc_of(w, w->head_id), SV(w->head_id, REUSABLE));
	put_u64(desc_of(w, w->head_id) + 8, 1);
	put_u64(desc_of(w, w->head_id) + 16, 1);
	prb_vmcoreinfo(&w->im);
}

static void prb_sync(struct prb_writer *w)
{
	put_u64(w->rb + 24, w->head_id);
	put_u64(w->rb + 32, w->tail_id);
	put_u64(w->rb + 64, w->head_lpos);
	put_u64(w->rb + 72, w->tail_lpos);
}

/* Free the oldest data block: its descriptor becomes reusable. */
static void prb_push_data_tail(struct prb_writer *w)
{
	uint64_t id = get_u64(w->text + (w->tail_lpos & (w->size - 1)));
	uint8_t *desc = desc_of(w, id);
	assert_int_equal(get_u64(desc) & ID_MASK, id);
	put_u64(desc, SV(id, REUSABLE));
	w->tail_lpos = get_u64(desc + 16);
}

static uint64_t next_lpos(struct prb_writer *w, uint64_t begin, uint64_t size)
{
	uint64_t next = begin + size;
	if (begin / w->size == next / w->size)
		return next;
	return (next & ~(w->size - 1)) + size;
}

/* Reserve a block for len text bytes and copy them in; as data_alloc(). */
static void prb_store_text(struct prb_writer *w, uint64_t id, const char *text,
			   size_t len, uint64_t *begin, uint64_t *next)
{
	uint64_t size = ((len + 1 + 7) & ~7ull) + 8;
	assert_true(size <= w->size / 2);
	*begin = w->head_lpos;
	*next = next_lpos(w, *begin, size);
	while (*next - w->tail_lpos > w->size)
		prb_push_data_tail(w);
	uint64_t at = *begin & (w->size - 1);
	put_u64(w->text + at, id);
	if (*begin / w->size != *next / w->size) {
		w->wrapped_blocks++;
		at = 0;
		put_u64(w->text, id);
	}
	memcpy(w->text + at + 8, text, len);
	w->text[at + 8 + len] = '\0';
	w->head_lpos = *next;
}

static uint64_t prb_push_dev(struct prb_writer *w, const char *text,
			     uint64_t ts, const char *subsystem,
			     const char *device)
{
	uint64_t id = (w->head_id + 1) & ID_MASK;
	if (((id - w->tail_id) & ID_MASK) >= w->count) {
		/* as desc_push_tail(): free the tail's data, then move on */
		uint8_t *tail = desc_of(w, w->tail_id);
		if (get_u64(tail) >> 62 != REUSABLE && !(get_u64(tail + 8) & 1))
			while (w->tail_lpos != get_u64(tail + 16))
				prb_push_data_tail(w);
		w->tail_id = (w->tail_id + 1) & ID_MASK;
	}
	uint8_t *desc = desc_of(w, id), *info = info_of(w, id);
	uint64_t seq = get_u64(info);
	seq = (seq == 0 && (id & (w->count - 1))) ? (id & (w->count - 1))
						   : seq + w->count;
	uint64_t begin, next;
	size_t len = strlen(text);
	if (len)
		prb_store_text(w, id, text, len, &begin, &next);
	else
		begin = next = 3; /* NO_LPOS: a data-less record */
	memset(info, 0, INFO_SIZE);
	put_u64(info, seq);
	put_u64(info + 8, ts);
	put_u16(info + 16, (uint16_t)len);
	info[18] = 0;           /* facility: kernel */
	info[19] = 6 << 5 | 2;  /* level 6, flags LOG_NEWLINE */
	put_u32(info + 20, (uint32_t)(seq % 100)); /* caller "T<n>" */
	if (subsystem)
		snprintf((char *)info + 24, 16, "%s", subsystem);
	if (device)
		snprintf((char *)info + 40, 48, "%s", device);
	put_u64(desc + 8, begin);
	put_u64(desc + 16, next);
	put_u64(desc, SV(id, FINALIZED));
	w->head_id = id;
	w->next_seq = seq + 1;
	prb_sync(w);
	return id;
}

static uint64_t prb_push(struct prb_writer *w, const char *text, uint64_t ts)
{
	return prb_push_dev(w, text, ts, NULL, NULL);
}

/* Text of the record with sequence number seq, as the writer made it. */
static void message(char *buf, size_t size, uint64_t seq)
{
	static const char filler[] = "the quick brown fox jumps over the lazy dog";
	snprintf(buf, size, "message %" PRIu64 ": %.*s", seq,
		 (int)(seq * 7 % (sizeof(filler) - 1)), filler);
}

/* Push n standard messages. */
static void prb_fill(struct prb_writer *w, uint64_t n)
{
	char text[128];
	for (uint64_t i = 0; i < n; i++) {
		message(text, sizeof(text), w->next_seq);
		prb_push(w, text, w->next_seq * 1000003);
	}
}

/* The records must be the standard messages, consecutive, ending at last. */
static void expect_messages(const struct kt_log *log, size_t min_count,
			    uint64_t last_seq)
{
	size_t count;
	const struct kt_log_record *r = kt_log_get(log, &count);
	if (count < min_count)
		fail_msg("%zu records, expected at least %zu (first problem: %s)",
			 count, min_count, kt_log_first_problem(log));
	char text[128];
	for (size_t i = 0; i < count; i++) {
		uint64_t seq = last_seq - (count - 1 - i);
		message(text, sizeof(text), seq);
		if (r[i].seq != seq || r[i].ts_nsec != seq * 1000003 ||
		    strcmp(r[i].text, text) != 0 || r[i].text_len != strlen(text))
			fail_msg("record %zu: seq %" PRIu64 " ts %" PRIu64
				 " \"%s\", expected seq %" PRIu64 " \"%s\"",
				 i, r[i].seq, r[i].ts_nsec, r[i].text, seq, text);
	}
}

/* Load the writer's image; the log must load. */
static struct kt_log *prb_load_ok(struct prb_writer *w, struct kt_vmcoreinfo **vi)
{
	struct kt_log *log;
	struct kt_error *err = load(&w->im, vi, &log);
	if (err)
		fail_msg("loading the ringbuffer failed: %s", err->message);
	assert_string_equal(kt_log_format(log), "printk_ringbuffer");
	return log;
}

static void prb_done(struct prb_writer *w, struct kt_vmcoreinfo *vi,
		     struct kt_log *log)
{
	kt_log_free(log);
	kt_vmcoreinfo_free(vi);
	image_free(&w->im);
}

/* ---- Ringbuffer tests ------------------------------------------------ */

static void prb_empty_ring_has_no_records(void **state)
{
	struct prb_writer w;
	prb_init(&w, 4, 9);
	prb_sync(&w);
	struct kt_vmcoreinfo *vi;
	struct kt_log *log = prb_load_ok(&w, &vi);
	size_t count;
	kt_log_get(log, &count);
	assert_int_equal(count, 0);
	assert_int_equal(kt_log_problem_count(log), 0);
	prb_done(&w, vi, log);
}

/* A ring sized beyond any kernel's (256 MiB) is refused, not read whole. */
static void prb_oversized_ring_is_refused_with_a_note(void **state)
{
	struct prb_writer w;
	prb_init(&w, 18, 28);
	prb_sync(&w);
	struct kt_vmcoreinfo *vi;
	struct kt_log *log = NULL;
	struct kt_error *err = load(&w.im, &vi, &log);
	assert_non_null(err);
	assert_int_equal(err->code, KT_ERR_INVALID);
	assert_non_null(strstr(err->message, "256 MiB"));
	assert_non_null(strstr(err->message, "not read"));
	kt_error_free(err);
	prb_done(&w, vi, log);
}

static void prb_reads_records_with_their_fields(void **state)
{
	struct prb_writer w;
	prb_init(&w, 4, 10);
	prb_push(&w, "Linux version 6.1.0-test", 0);
	prb_push_dev(&w, "e1000 0000:00:03.0: link up", 1500000000, "pci",
		     "+pci:0000:00:03.0");
	prb_push(&w, "first line\nsecond line", 2000001000);
	struct kt_vmcoreinfo *vi;
	struct kt_log *log = prb_load_ok(&w, &vi);
	size_t count;
	const struct kt_log_record *r = kt_log_get(log, &count);
	assert_int_equal(count, 3);
	assert_int_equal(kt_log_problem_count(log), 0);
	assert_string_equal(r[0].text, "Linux version 6.1.0-test");
	assert_int_equal(r[0].seq, 0);
	assert_int_equal(r[0].level, 6);
	assert_int_equal(r[0].facility, 0);
	assert_null(r[0].dict);
	assert_int_equal(r[1].seq, 1);
	assert_int_equal(r[1].ts_nsec, 1500000000);
	assert_int_equal(r[1].caller_id, 1);
	assert_string_equal(r[1].dict, "SUBSYSTEM=pci\nDEVICE=+pci:0000:00:03.0");
	assert_string_equal(r[2].text, "first line\nsecond line");
	assert_int_equal(r[2].text_len, 22);
	prb_done(&w, vi, log);
}

/*
 * Thousands of records through a 16-descriptor, 512-byte ring: ids pass
 * 2^62 and lpos pass 2^64, blocks wrap; the reader returns the newest.
 */
static void prb_wraps_ids_and_lpos(void **state)
{
	struct prb_writer w;
	prb_init(&w, 4, 9);
	for (int round = 0; round < 300; round++) {
		prb_fill(&w, 1 + round % 7);
		struct kt_vmcoreinfo *vi;
		struct kt_log *log;
		assert_null(load(&w.im, &vi, &log));
		expect_messages(log, 1, w.next_seq - 1);
		assert_int_equal(kt_log_problem_count(log), 0);
		kt_log_free(log);
		kt_vmcoreinfo_free(vi);
	}
	/* both started just below their overflow and have passed it */
	assert_true(w.head_lpos < UINT64_C(1) << 32);
	assert_true(w.head_id < 2000);
	assert_true(w.wrapped_blocks > 50);
	image_free(&w.im);
}

static void prb_data_less_records(void **state)
{
	struct prb_writer w;
	prb_init(&w, 4, 9);
	prb_push(&w, "before", 1);
	uint64_t empty = prb_push(&w, "", 2);
	uint64_t failed = prb_push(&w, "", 3);
	prb_push(&w, "after", 4);
	put_u64(desc_of(&w, failed) + 8, 1); /* FAILED_LPOS: text lost */
	put_u64(desc_of(&w, failed) + 16, 1);
	(void)empty;
	struct kt_vmcoreinfo *vi;
	struct kt_log *log = prb_load_ok(&w, &vi);
	size_t count;
	const struct kt_log_record *r = kt_log_get(log, &count);
	assert_int_equal(count, 3);
	assert_string_equal(r[0].text, "before");
	assert_string_equal(r[1].text, "");
	assert_int_equal(r[1].text_len, 0);
	assert_int_equal(r[1].ts_nsec, 2);
	assert_string_equal(r[2].text, "after");
	assert_int_equal(kt_log_problem_count(log), 1);
	assert_non_null(strstr(kt_log_first_problem(log), "never stored"));
	prb_done(&w, vi, log);
}

/* Newer kernels let a block end exactly at the end of the ring. */
static void prb_block_ending_at_ring_end(void **state)
{
	struct prb_writer w;
	prb_init(&w, 4, 9);
	prb_fill(&w, 3);
	/* Hand-place one record filling the ring's last 64 bytes. */
	uint64_t id = (w.head_id + 1) & ID_MASK;
	uint64_t begin = (w.head_lpos | (w.size - 1)) - 63;
	while (begin - w.tail_lpos > w.size - 64)
		prb_push_data_tail(&w);
	uint8_t *desc = desc_of(&w, id), *info = info_of(&w, id);
	put_u64(w.text + (begin & (w.size - 1)), id);
	memset(w.text + (begin & (w.size - 1)) + 8, 'x', 56);
	put_u64(info, w.next_seq);
	put_u16(info + 16, 56);
	put_u64(desc + 8, begin);
	put_u64(desc + 16, begin + 64);
	put_u64(desc, SV(id, FINALIZED));
	w.head_id = id;
	prb_sync(&w);
	struct kt_vmcoreinfo *vi;
	struct kt_log *log = prb_load_ok(&w, &vi);
	size_t count;
	const struct kt_log_record *r = kt_log_get(log, &count);
	assert_true(count >= 1);
	assert_int_equal(r[count - 1].text_len, 56);
	assert_int_equal(r[count - 1].text[0], 'x');
	assert_int_equal(kt_log_problem_count(log), 0);
	prb_done(&w, vi, log);
}

static void prb_skips_reserved_reusable_and_stale(void **state)
{
	struct prb_writer w;
	prb_init(&w, 4, 10);
	uint64_t a = prb_push(&w, "a", 1);
	uint64_t b = prb_push(&w, "b", 2);
	uint64_t c = prb_push(&w, "c", 3);
	prb_push(&w, "d", 4);
	put_u64(desc_of(&w, a), SV(a, RESERVED));
	put_u64(desc_of(&w, b), SV(b, COMMITTED)); /* committed counts */
	put_u64(desc_of(&w, c), SV((c - 16) & ID_MASK, FINALIZED)); /* stale id */
	struct kt_vmcoreinfo *vi;
	struct kt_log *log = prb_load_ok(&w, &vi);
	size_t count;
	const struct kt_log_record *r = kt_log_get(log, &count);
	assert_int_equal(count, 2);
	assert_string_equal(r[0].text, "b");
	assert_string_equal(r[1].text, "d");
	assert_int_equal(kt_log_problem_count(log), 0);
	prb_done(&w, vi, log);
}

static void prb_damaged_descriptors_are_skipped(void **state)
{
	struct prb_writer w;
	prb_init(&w, 5, 11);
	prb_fill(&w, 20);
	uint64_t id = w.tail_id;
	uint64_t bad_lpos = (w.tail_id + 2) & ID_MASK;
	uint64_t bad_block = (w.tail_id + 4) & ID_MASK;
	uint64_t bad_seq = (w.tail_id + 6) & ID_MASK;
	uint64_t misaligned = (w.tail_id + 8) & ID_MASK;
	uint64_t one_odd = (w.tail_id + 10) & ID_MASK;
	/* begin two wraps behind next: impossible */
	put_u64(desc_of(&w, bad_lpos) + 8, get_u64(desc_of(&w, bad_lpos) + 16) - 3 * w.size);
	/* the block names another descriptor */
	uint64_t begin = get_u64(desc_of(&w, bad_block) + 8);
	put_u64(w.text + (begin & (w.size - 1)), bad_block + 1);
	/* a seq out of step with its id */
	put_u64(info_of(&w, bad_seq), 123456789);
	put_u64(desc_of(&w, misaligned) + 8, get_u64(desc_of(&w, misaligned) + 8) + 4);
	put_u64(desc_of(&w, one_odd) + 16, get_u64(desc_of(&w, one_odd) + 16) | 1);
	(void)id;
	struct kt_vmcoreinfo *vi;
	struct kt_log *log = prb_load_ok(&w, &vi);
	size_t count;
	const struct kt_log_record *r = kt_log_get(log, &count);
	assert_int_equal(kt_log_problem_count(log), 5);
	char expected[128];
	for (size_t i = 0; i < count; i++) {
		message(expected, sizeof(expected), r[i].seq);
		if (strcmp(r[i].text, expected) != 0)
			fail_msg("record seq %" PRIu64 ": \"%s\", expected \"%s\"",
				 r[i].seq, r[i].text, expected);
	}
	assert_int_equal(count, 20 - 5);
	prb_done(&w, vi, log);
}

static void prb_huge_text_len_is_truncated(void **state)
{
	struct prb_writer w;
	prb_init(&w, 4, 10);
	uint64_t id = prb_push(&w, "short text", 1);
	put_u16(info_of(&w, id) + 16, 0xffff);
	struct kt_vmcoreinfo *vi;
	struct kt_log *log = prb_load_ok(&w, &vi);
	size_t count;
	const struct kt_log_record *r = kt_log_get(log, &count);
	assert_int_equal(count, 1);
	/* the block holds the text, its NUL and padding: 16 bytes */
	assert_int_equal(r[0].text_len, 16);
	assert_memory_equal(r[0].text, "short text", 11);
	assert_int_equal(kt_log_problem_count(log), 1);
	assert_non_null(strstr(kt_log_first_problem(log), "text_len 65535"));
	prb_done(&w, vi, log);
}

/* A head and tail further apart than the ring: read one ring's worth. */
static void prb_tail_head_span_is_bounded(void **state)
{
	struct prb_writer w;
	prb_init(&w, 4, 10);
	prb_fill(&w, 40);
	put_u64(w.rb + 32, (w.head_id - 5 * w.count) & ID_MASK);
	put_u64(w.rb + 24, w.head_id | 3ull << 62); /* flag bits are ignored */
	struct kt_vmcoreinfo *vi;
	struct kt_log *log = prb_load_ok(&w, &vi);
	expect_messages(log, 1, w.next_seq - 1);
	size_t count;
	kt_log_get(log, &count);
	assert_true(count <= w.count);
	assert_int_equal(kt_log_problem_count(log), 1);
	assert_non_null(strstr(kt_log_first_problem(log), "further apart"));
	prb_done(&w, vi, log);
}

/* Every descriptor's seq wrong but one: the majority wins, not the first. */
static void prb_majority_seq_wins(void **state)
{
	struct prb_writer w;
	prb_init(&w, 4, 10);
	prb_fill(&w, 10);
	/* the oldest record (the tail itself is the bootstrap descriptor) */
	put_u64(info_of(&w, (w.tail_id + 1) & ID_MASK), 999999);
	struct kt_vmcoreinfo *vi;
	struct kt_log *log = prb_load_ok(&w, &vi);
	expect_messages(log, 9, w.next_seq - 1);
	assert_int_equal(kt_log_problem_count(log), 1);
	prb_done(&w, vi, log);
}

static void prb_impossible_sizes_fail(void **state)
{
	struct prb_writer w;
	prb_init(&w, 4, 10);
	prb_fill(&w, 3);
	put_u32(w.rb + 0, 40);
	expect_error(&w.im, KT_ERR_INVALID, "count_bits 40");
	put_u32(w.rb + 0, 4);
	put_u32(w.rb + 48, 63);
	expect_error(&w.im, KT_ERR_INVALID, "size_bits 63");
	put_u32(w.rb + 48, 2);
	expect_error(&w.im, KT_ERR_INVALID, "size_bits 2");
	/* fits the bit limits, not the memory limit */
	put_u32(w.rb + 0, 26);
	put_u32(w.rb + 48, 31);
	expect_error(&w.im, KT_ERR_INVALID, "limit");
	image_free(&w.im);
}

static void prb_unreadable_memory_fails(void **state)
{
	struct prb_writer w;
	prb_init(&w, 4, 10);
	prb_fill(&w, 3);
	put_u64(w.pointer, 0xdead000000000000ull);
	expect_error(&w.im, KT_ERR_FAULT, "0xdead000000000000");
	put_u64(w.pointer, PRB_ADDRESS);
	put_u64(w.rb + 56, 0xffffc90000000000ull);
	expect_error(&w.im, KT_ERR_FAULT, "prb text ring");
	put_u64(w.rb + 56, TEXT_ADDRESS);
	put_u32(w.rb + 0, 5); /* twice the descriptors that are mapped */
	expect_error(&w.im, KT_ERR_FAULT, "prb descriptors");
	image_free(&w.im);
}

static void prb_bad_vmcoreinfo_fails(void **state)
{
	struct prb_writer w;
	prb_init(&w, 4, 10);
	prb_fill(&w, 3);
	vmcoreinfo_remove(&w.im, "OFFSET(prb_desc.state_var)");
	expect_error(&w.im, KT_ERR_NOT_FOUND, "OFFSET(prb_desc.state_var)");
	vmcoreinfo_add(&w.im, "OFFSET(prb_desc.state_var)=20\n");
	expect_error(&w.im, KT_ERR_INVALID, "OFFSET(prb_desc.state_var)=20");
	vmcoreinfo_set(&w.im, "OFFSET(prb_desc.state_var)", "0");
	vmcoreinfo_set(&w.im, "SIZE(printk_info)", "99999999999");
	expect_error(&w.im, KT_ERR_INVALID, "SIZE(printk_info)");
	vmcoreinfo_set(&w.im, "SIZE(printk_info)", "88");
	vmcoreinfo_set(&w.im, "OFFSET(printk_info.text_len)", "18446744073709551615");
	expect_error(&w.im, KT_ERR_INVALID, "OFFSET(printk_info.text_len)");
	vmcoreinfo_remove(&w.im, "SYMBOL(prb)");
	expect_error(&w.im, KT_ERR_UNSUPPORTED, "SYMBOL(prb)");
	image_free(&w.im);
}

/* Without dev_printk_info in VMCOREINFO records just have no dict. */
static void prb_without_device_info(void **state)
{
	struct prb_writer w;
	prb_init(&w, 4, 10);
	prb_push_dev(&w, "usb 1-1: new device", 5, "usb", "c189:1");
	vmcoreinfo_remove(&w.im, "LENGTH(printk_info_device)");
	struct kt_vmcoreinfo *vi;
	struct kt_log *log = prb_load_ok(&w, &vi);
	size_t count;
	const struct kt_log_record *r = kt_log_get(log, &count);
	assert_int_equal(count, 1);
	assert_null(r[0].dict);
	prb_done(&w, vi, log);
}

static uint64_t prng_state = 0x9e3779b97f4a7c15ull;

static uint64_t prng(void)
{
	prng_state ^= prng_state << 13;
	prng_state ^= prng_state >> 7;
	prng_state ^= prng_state << 17;
	return prng_state;
}

/* Every record returned keeps the record's own invariants. */
static void check_invariants(const struct kt_log *log)
{
	size_t count;
	const struct kt_log_record *r = kt_log_get(log, &count);
	for (size_t i = 0; i < count; i++) {
		if (r[i].text[r[i].text_len] != '\0')
			fail_msg("record %zu: text not terminated at text_len %zu",
				 i, r[i].text_len);
		if (r[i].level > 7)
			fail_msg("record %zu: level %u", i, r[i].level);
	}
}

/* Random damage anywhere in the ring: errors or records, never a crash. */
static void prb_survives_random_damage(void **state)
{
	for (int round = 0; round < 400; round++) {
		struct prb_writer w;
		prb_init(&w, 4, 9);
		prb_fill(&w, 5 + prng() % 60);
		for (int hits = 1 + prng() % 8; hits > 0; hits--) {
			struct region *r = &w.im.regions[prng() % w.im.nregions];
			size_t at = prng() % r->len;
			if (prng() % 2)
				r->bytes[at] = (uint8_t)prng();
			else if (r->len >= 8)
				put_u64(r->bytes + (at & ~7ull) % (r->len - 7), prng());
		}
		struct kt_vmcoreinfo *vi;
		struct kt_log *log;
		struct kt_error *err = load(&w.im, &vi, &log);
		if (err)
			kt_error_free(err);
		else
			check_invariants(log);
		prb_done(&w, vi, err ? NULL : log);
	}
}

/* ---- The legacy log_buf ---------------------------------------------- */

#define LOG_BUF_SYMBOL 0xffffffff82000000ull /* char *log_buf */
#define LOG_BUF_LEN_SYMBOL 0xffffffff82000010ull
#define LOG_FIRST_IDX_SYMBOL 0xffffffff82000020ull
#define LOG_NEXT_IDX_SYMBOL 0xffffffff82000030ull
#define LOG_BUF_ADDRESS 0xffffffff83000000ull

struct legacy_writer {
	struct image im;
	uint8_t *vars, *buf;
	uint32_t len, first_idx, next_idx, header;
	uint64_t first_seq, next_seq;
	unsigned wraps;
};

/* 4.18 (RHEL 8) lays printk_log out in 16 bytes; 4.19+ adds caller_id. */
static void legacy_init(struct legacy_writer *w, uint32_t len, bool caller,
			const char *name)
{
	memset(w, 0, sizeof(*w));
	w->len = len;
	w->header = caller ? 24 : 16;
	w->vars = image_map(&w->im, LOG_BUF_SYMBOL, 0x40);
	w->buf = image_map(&w->im, LOG_BUF_ADDRESS, len);
	put_u64(w->vars, LOG_BUF_ADDRESS);
	put_u32(w->vars + 0x10, len);
	vmcoreinfo_add(&w->im, "OSRELEASE=4.18.0-test\nSYMBOL(log_buf)=%llx\n"
		       "SYMBOL(log_buf_len)=%llx\nSYMBOL(log_first_idx)=%llx\n"
		       "SYMBOL(log_next_idx)=%llx\nSIZE(%s)=%u\n"
		       "OFFSET(%s.ts_nsec)=0\nOFFSET(%s.len)=8\n"
		       "OFFSET(%s.text_len)=10\nOFFSET(%s.dict_len)=12\n",
		       LOG_BUF_SYMBOL, LOG_BUF_LEN_SYMBOL, LOG_FIRST_IDX_SYMBOL,
		       LOG_NEXT_IDX_SYMBOL, name, w->header, name, name, name, name);
}

static void legacy_sync(struct legacy_writer *w)
{
	put_u32(w->vars + 0x20, w->first_idx);
	put_u32(w->vars + 0x30, w->next_idx);
}

static uint32_t legacy_next(struct legacy_writer *w, uint32_t idx)
{
	uint16_t len;
	memcpy(&len, w->buf + idx + 8, 2);
	if (!len) {
		memcpy(&len, w->buf + 8, 2);
		return len;
	}
	return idx + len;
}

/* As the kernel's logbuf_has_space(). */
static bool legacy_has_space(struct legacy_writer *w, uint32_t size, bool empty)
{
	uint32_t space;
	if (w->next_idx > w->first_idx || empty)
		space = w->len - w->next_idx > w->first_idx ? w->len - w->next_idx
							      : w->first_idx;
	else
		space = w->first_idx - w->next_idx;
	return space >= size + w->header;
}

/* As log_store(): drop the oldest until it fits, wrap with a 0 marker. */
static void legacy_push(struct legacy_writer *w, const char *text,
			const char *dict, size_t dict_len, uint64_t ts)
{
	size_t text_len = strlen(text);
	uint32_t size = (w->header + text_len + dict_len + 7) & ~7u;
	while (w->first_seq < w->next_seq && !legacy_has_space(w, size, false)) {
		w->first_idx = legacy_next(w, w->first_idx);
		w->first_seq++;
	}
	assert_true(legacy_has_space(w, size, w->first_seq == w->next_seq));
	if (w->next_idx + size + w->header > w->len) {
		memset(w->buf + w->next_idx, 0, w->header);
		w->next_idx = 0;
		w->wraps++;
	}
	uint8_t *msg = w->buf + w->next_idx;
	memset(msg, 0, size);
	put_u64(msg, ts);
	put_u16(msg + 8, (uint16_t)size);
	put_u16(msg + 10, (uint16_t)text_len);
	put_u16(msg + 12, (uint16_t)dict_len);
	msg[14] = 0;
	msg[15] = 4 << 5; /* level 4 */
	if (w->header == 24)
		put_u32(msg + 16, 0x80000001); /* CPU 1 */
	memcpy(msg + w->header, text, text_len);
	if (dict_len)
		memcpy(msg + w->header + text_len, dict, dict_len);
	w->next_idx += size;
	w->next_seq++;
	legacy_sync(w);
}

static void legacy_fill(struct legacy_writer *w, uint64_t n)
{
	char text[128];
	for (uint64_t i = 0; i < n; i++) {
		message(text, sizeof(text), w->next_seq);
		legacy_push(w, text, NULL, 0, w->next_seq * 1000003);
	}
}

static struct kt_log *legacy_load_ok(struct legacy_writer *w,
				     struct kt_vmcoreinfo **vi)
{
	struct kt_log *log;
	struct kt_error *err = load(&w->im, vi, &log);
	if (err)
		fail_msg("loading log_buf failed: %s", err->message);
	assert_string_equal(kt_log_format(log), "log_buf");
	return log;
}

static void legacy_done(struct legacy_writer *w, struct kt_vmcoreinfo *vi,
			struct kt_log *log)
{
	kt_log_free(log);
	kt_vmcoreinfo_free(vi);
	image_free(&w->im);
}

/* ---- Legacy tests ---------------------------------------------------- */

static void legacy_reads_records_and_dicts(void **state)
{
	struct legacy_writer w;
	legacy_init(&w, 4096, true, "printk_log");
	legacy_push(&w, "Linux version 4.18.0", NULL, 0, 0);
	static const char dict[] = "SUBSYSTEM=pci\0DEVICE=+pci:0000:00:03.0";
	legacy_push(&w, "e1000: link up", dict, sizeof(dict) - 1, 1234567890);
	struct kt_vmcoreinfo *vi;
	struct kt_log *log = legacy_load_ok(&w, &vi);
	size_t count;
	const struct kt_log_record *r = kt_log_get(log, &count);
	assert_int_equal(count, 2);
	assert_string_equal(r[0].text, "Linux version 4.18.0");
	assert_int_equal(r[0].level, 4);
	assert_int_equal(r[0].caller_id, 0x80000001);
	assert_null(r[0].dict);
	assert_int_equal(r[1].ts_nsec, 1234567890);
	assert_string_equal(r[1].text, "e1000: link up");
	assert_string_equal(r[1].dict, "SUBSYSTEM=pci\nDEVICE=+pci:0000:00:03.0");
	assert_int_equal(kt_log_problem_count(log), 0);
	legacy_done(&w, vi, log);
}

/* The buffer fills, wraps and drops the oldest, again and again. */
static void legacy_wraps_and_drops_oldest(void **state)
{
	struct legacy_writer w;
	legacy_init(&w, 1024, false, "printk_log");
	for (int round = 0; round < 200; round++) {
		legacy_fill(&w, 1 + round % 5);
		struct kt_vmcoreinfo *vi;
		struct kt_log *log = legacy_load_ok(&w, &vi);
		size_t count;
		const struct kt_log_record *r = kt_log_get(log, &count);
		if (count != w.next_seq - w.first_seq)
			fail_msg("round %d: %zu records, expected %" PRIu64, round,
				 count, w.next_seq - w.first_seq);
		char text[128];
		for (size_t i = 0; i < count; i++) {
			message(text, sizeof(text), w.first_seq + i);
			if (strcmp(r[i].text, text) != 0 ||
			    r[i].ts_nsec != (w.first_seq + i) * 1000003)
				fail_msg("round %d record %zu: \"%s\", expected \"%s\"",
					 round, i, r[i].text, text);
		}
		assert_int_equal(kt_log_problem_count(log), 0);
		kt_log_free(log);
		kt_vmcoreinfo_free(vi);
	}
	assert_true(w.wraps > 20);
	image_free(&w.im);
}

/* Linux 3.5 .. 3.10 called the record struct "log". */
static void legacy_old_struct_name(void **state)
{
	struct legacy_writer w;
	legacy_init(&w, 2048, false, "log");
	legacy_fill(&w, 3);
	struct kt_vmcoreinfo *vi;
	struct kt_log *log = legacy_load_ok(&w, &vi);
	expect_messages(log, 3, 2);
	legacy_done(&w, vi, log);
}

static void legacy_zero_length_cycle_stops(void **state)
{
	struct legacy_writer w;
	legacy_init(&w, 1024, true, "printk_log");
	legacy_fill(&w, 3);
	put_u16(w.buf + 8, 0); /* the first record says "wrap": forever */
	put_u32(w.vars + 0x30, 1000); /* and the end is unreachable */
	struct kt_vmcoreinfo *vi;
	struct kt_log *log = legacy_load_ok(&w, &vi);
	size_t count;
	kt_log_get(log, &count);
	assert_int_equal(count, 0);
	assert_int_equal(kt_log_problem_count(log), 1);
	assert_non_null(strstr(kt_log_first_problem(log), "wraps twice"));
	legacy_done(&w, vi, log);
}

static void legacy_unreachable_end_stops(void **state)
{
	struct legacy_writer w;
	legacy_init(&w, 1024, true, "printk_log");
	legacy_fill(&w, 5);
	put_u32(w.vars + 0x30, w.next_idx + 4); /* not a record boundary */
	struct kt_vmcoreinfo *vi;
	struct kt_log *log = legacy_load_ok(&w, &vi);
	expect_messages(log, 5, 4);
	assert_int_equal(kt_log_problem_count(log), 1);
	legacy_done(&w, vi, log);
}

static void legacy_damaged_lengths(void **state)
{
	struct legacy_writer w;
	legacy_init(&w, 1024, true, "printk_log");
	legacy_fill(&w, 3);
	put_u16(w.buf + 10, 0xffff); /* text_len beyond the record */
	struct kt_vmcoreinfo *vi;
	struct kt_log *log = legacy_load_ok(&w, &vi);
	size_t count;
	const struct kt_log_record *r = kt_log_get(log, &count);
	assert_int_equal(count, 3);
	assert_true(r[0].text_len <= 1024);
	assert_int_equal(kt_log_problem_count(log), 1);
	kt_log_free(log);
	kt_vmcoreinfo_free(vi);

	put_u16(w.buf + 8, 8); /* shorter than a header */
	log = legacy_load_ok(&w, &vi);
	kt_log_get(log, &count);
	assert_int_equal(count, 0);
	assert_int_equal(kt_log_problem_count(log), 1);
	legacy_done(&w, vi, log);
}

static void legacy_impossible_variables_fail(void **state)
{
	struct legacy_writer w;
	legacy_init(&w, 1024, true, "printk_log");
	legacy_fill(&w, 3);
	put_u32(w.vars + 0x20, 5000);
	expect_error(&w.im, KT_ERR_INVALID, "log_first_idx 5000");
	put_u32(w.vars + 0x20, 0);
	put_u32(w.vars + 0x10, 0xffffffff);
	expect_error(&w.im, KT_ERR_INVALID, "log_buf_len 4294967295");
	put_u32(w.vars + 0x10, 2048); /* larger than what is mapped */
	expect_error(&w.im, KT_ERR_FAULT, "log_buf");
	put_u32(w.vars + 0x10, 1024);
	vmcoreinfo_remove(&w.im, "SYMBOL(log_next_idx)");
	expect_error(&w.im, KT_ERR_NOT_FOUND, "log_next_idx");
	vmcoreinfo_remove(&w.im, "SIZE(printk_log)");
	expect_error(&w.im, KT_ERR_NOT_FOUND, "SIZE(printk_log)");
	image_free(&w.im);
}

static void legacy_survives_random_damage(void **state)
{
	for (int round = 0; round < 400; round++) {
		struct legacy_writer w;
		legacy_init(&w, 512, prng() % 2, "printk_log");
		legacy_fill(&w, 3 + prng() % 40);
		for (int hits = 1 + prng() % 6; hits > 0; hits--) {
			struct region *r = &w.im.regions[prng() % w.im.nregions];
			r->bytes[prng() % r->len] = (uint8_t)prng();
		}
		struct kt_vmcoreinfo *vi;
		struct kt_log *log;
		struct kt_error *err = load(&w.im, &vi, &log);
		if (err)
			kt_error_free(err);
		else
			check_invariants(log);
		legacy_done(&w, vi, err ? NULL : log);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(prb_empty_ring_has_no_records),
		cmocka_unit_test(prb_oversized_ring_is_refused_with_a_note),
		cmocka_unit_test(prb_reads_records_with_their_fields),
		cmocka_unit_test(prb_wraps_ids_and_lpos),
		cmocka_unit_test(prb_data_less_records),
		cmocka_unit_test(prb_block_ending_at_ring_end),
		cmocka_unit_test(prb_skips_reserved_reusable_and_stale),
		cmocka_unit_test(prb_damaged_descriptors_are_skipped),
		cmocka_unit_test(prb_huge_text_len_is_truncated),
		cmocka_unit_test(prb_tail_head_span_is_bounded),
		cmocka_unit_test(prb_majority_seq_wins),
		cmocka_unit_test(prb_impossible_sizes_fail),
		cmocka_unit_test(prb_unreadable_memory_fails),
		cmocka_unit_test(prb_bad_vmcoreinfo_fails),
		cmocka_unit_test(prb_without_device_info),
		cmocka_unit_test(prb_survives_random_damage),
		cmocka_unit_test(legacy_reads_records_and_dicts),
		cmocka_unit_test(legacy_wraps_and_drops_oldest),
		cmocka_unit_test(legacy_old_struct_name),
		cmocka_unit_test(legacy_zero_length_cycle_stops),
		cmocka_unit_test(legacy_unreachable_end_stops),
		cmocka_unit_test(legacy_damaged_lengths),
		cmocka_unit_test(legacy_impossible_variables_fail),
		cmocka_unit_test(legacy_survives_random_damage),
	};
	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
