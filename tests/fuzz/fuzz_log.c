// SPDX-License-Identifier: MIT
/*
 * The kernel log reader (lib/kernel/log.c) on hostile kernel memory: the
 * lockless printk ringbuffer and the legacy log_buf, through kt_log_load's
 * seam (a read callback and a VMCOREINFO).  Then the records go through
 * the analyzers' line splitter, as `ktriage analyze` does with them.
 *
 * Input: byte 0 chooses the VMCOREINFO: 0 the 6.1 ringbuffer layout,
 * 1 a 5.x log_buf layout, 2 the text that follows (u16 length, then the
 * text).  The rest is kernel memory, as fuzz.h regions.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "../../lib/kernel/log.h"
#include "ktriage/analyzer.h"

/* Where the built-in layouts put their symbols (make-seeds agrees). */
#define PRB_SYMBOL "ffffffff81000000"
#define LOG_BUF_SYMBOLS                                                   \
	"SYMBOL(log_buf)=ffffffff81000000\n"                              \
	"SYMBOL(log_buf_len)=ffffffff81000008\n"                          \
	"SYMBOL(log_first_idx)=ffffffff81000010\n"                        \
	"SYMBOL(log_next_idx)=ffffffff81000018\n"

static const char prb_layout[] =
	"OSRELEASE=6.1.0-fuzz\nPAGESIZE=4096\nSYMBOL(prb)=" PRB_SYMBOL "\n"
	"SIZE(printk_ringbuffer)=88\nOFFSET(printk_ringbuffer.desc_ring)=0\n"
	"OFFSET(printk_ringbuffer.text_data_ring)=48\n"
	"OFFSET(printk_ringbuffer.fail)=80\nSIZE(prb_desc_ring)=48\n"
	"OFFSET(prb_desc_ring.count_bits)=0\nOFFSET(prb_desc_ring.descs)=8\n"
	"OFFSET(prb_desc_ring.infos)=16\nOFFSET(prb_desc_ring.head_id)=24\n"
	"OFFSET(prb_desc_ring.tail_id)=32\nSIZE(prb_desc)=24\n"
	"OFFSET(prb_desc.state_var)=0\nOFFSET(prb_desc.text_blk_lpos)=8\n"
	"SIZE(prb_data_blk_lpos)=16\nOFFSET(prb_data_blk_lpos.begin)=0\n"
	"OFFSET(prb_data_blk_lpos.next)=8\nSIZE(printk_info)=88\n"
	"OFFSET(printk_info.seq)=0\nOFFSET(printk_info.ts_nsec)=8\n"
	"OFFSET(printk_info.text_len)=16\nOFFSET(printk_info.caller_id)=20\n"
	"OFFSET(printk_info.dev_info)=24\nSIZE(dev_printk_info)=64\n"
	"OFFSET(dev_printk_info.subsystem)=0\nOFFSET(dev_printk_info.device)=16\n"
	"LENGTH(printk_info_subsystem)=16\nLENGTH(printk_info_device)=48\n"
	"SIZE(prb_data_ring)=32\nOFFSET(prb_data_ring.size_bits)=0\n"
	"OFFSET(prb_data_ring.data)=8\nOFFSET(prb_data_ring.head_lpos)=16\n"
	"OFFSET(prb_data_ring.tail_lpos)=24\nSIZE(atomic_long_t)=8\n"
	"OFFSET(atomic_long_t.counter)=0\n";

static const char log_buf_layout[] =
	"OSRELEASE=5.4.0-fuzz\nPAGESIZE=4096\n" LOG_BUF_SYMBOLS
	"SIZE(printk_log)=16\nOFFSET(printk_log.ts_nsec)=0\n"
	"OFFSET(printk_log.len)=8\nOFFSET(printk_log.text_len)=10\n"
	"OFFSET(printk_log.dict_len)=12\n";

static struct kt_error *read_image(void *context, uint64_t vaddr, void *buf,
				   size_t len)
{
	if (fuzz_image_read(context, vaddr, buf, len))
		return NULL;
	return kt_error_create(KT_ERR_FAULT, "0x%" PRIx64 "+%zu is not mapped",
			       vaddr, len);
}

static void check_records(const struct kt_log *log)
{
	size_t count;
	const struct kt_log_record *records = kt_log_get(log, &count);
	for (size_t i = 0; i < count; i++) {
		const struct kt_log_record *r = &records[i];
		/* Text is NUL-terminated at its length; dicts are strings. */
		if (r->text[r->text_len] != '\0' || r->level > 7)
			abort();
		if (r->dict)
			(void)strlen(r->dict);
	}
	(void)kt_log_format(log);
	(void)strlen(kt_log_first_problem(log));
	struct kt_log_text *text;
	if (kt_log_text_from_records(records, count, &text) == NULL) {
		for (size_t i = 0; i < kt_log_text_count(text); i++)
			(void)strlen(kt_log_text_line(text, i)->text);
		(void)kt_log_text_is_kernel_log(text);
		kt_log_text_free(text);
	}
}

static void report(const struct kt_log *log, const struct kt_error *err)
{
	size_t count = 0;
	if (!err)
		kt_log_get(log, &count);
	fprintf(stderr, "%s: %zu records, %zu problems %s\n",
		err ? kt_error_string(err) : kt_log_format(log), count,
		err ? 0 : kt_log_problem_count(log),
		err ? "" : kt_log_first_problem(log));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_cursor c = { data, size };
	uint8_t mode = fuzz_u8(&c) % 3;
	const char *text = prb_layout;
	size_t text_len = sizeof(prb_layout) - 1;
	if (mode == 1) {
		text = log_buf_layout;
		text_len = sizeof(log_buf_layout) - 1;
	} else if (mode == 2) {
		text = (const char *)fuzz_bytes(&c, fuzz_u16(&c), &text_len);
	}
	struct fuzz_image image;
	fuzz_image_parse(&c, &image);
	struct kt_vmcoreinfo *vi;
	if (kt_vmcoreinfo_parse(text, text_len, &vi))
		return 0;
	struct kt_log_source source = { .vmcoreinfo = vi, .read = read_image, .context = &image };
	struct kt_log *log;
	struct kt_error *err = kt_log_load(&source, &log);
	if (fuzz_verbose())
		report(log, err);
	if (!err) {
		check_records(log);
		kt_log_free(log);
	}
	fuzz_drop(err);
	kt_vmcoreinfo_free(vi);
	return 0;
}
