// SPDX-License-Identifier: MIT
/*
 * ktriage kmem: the memory summary as crash's `kmem -i` prints it (PAGES,
 * TOTAL, PERCENTAGE), or as JSON with the row names as keys, in pages.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ktriage/kernel.h"

/* crash's pages_to_size(): "205.6 MB", "3 MB", "640 KB", "0". */
static const char *size_text(uint64_t pages, uint32_t page_size, char *buf,
			     size_t len)
{
	double bytes = (double)pages * page_size;
	if (!pages)
		snprintf(buf, len, "0");
	else if (bytes >= 1024.0 * 1024 * 1024)
		snprintf(buf, len, "%.1f GB", bytes / (1024.0 * 1024 * 1024));
	else if (bytes >= 1024.0 * 1024)
		snprintf(buf, len, "%.1f MB", bytes / (1024.0 * 1024));
	else
		snprintf(buf, len, "%" PRIu64 " KB", (uint64_t)(bytes / 1024));
	char *zero = strstr(buf, ".0 ");
	if (zero)
		memmove(zero, zero + 2, strlen(zero + 2) + 1);
	return buf;
}

static void row(const char *name, uint64_t pages, uint32_t page_size,
		uint64_t of, const char *of_name)
{
	char size[32];
	printf("%13s  %7" PRIu64 "  %11s  ", name, pages,
	       size_text(pages, page_size, size, sizeof(size)));
	if (of_name)
		printf("%3" PRIu64 "%% of %s\n", of ? pages * 100 / of : 0, of_name);
	else
		printf("       ----\n");
}

static void print_text(const struct kt_meminfo *m)
{
	uint32_t ps = m->page_size;
	printf("                 PAGES        TOTAL      PERCENTAGE\n");
	row("TOTAL MEM", m->total_mem, ps, 0, NULL);
	row("FREE", m->free, ps, m->total_mem, "TOTAL MEM");
	row("USED", m->used, ps, m->total_mem, "TOTAL MEM");
	row("SHARED", m->shared, ps, m->total_mem, "TOTAL MEM");
	row("BUFFERS", m->buffers, ps, m->total_mem, "TOTAL MEM");
	row("CACHED", m->cached, ps, m->total_mem, "TOTAL MEM");
	row("SLAB", m->slab, ps, m->total_mem, "TOTAL MEM");
	putchar('\n');
	row("TOTAL HUGE", m->total_huge, ps, 0, NULL);
	row("HUGE FREE", m->huge_free, ps, m->total_huge, "TOTAL HUGE");
	putchar('\n');
	row("TOTAL SWAP", m->total_swap, ps, 0, NULL);
	row("SWAP USED", m->swap_used, ps, m->total_swap, "TOTAL SWAP");
	row("SWAP FREE", m->swap_free, ps, m->total_swap, "TOTAL SWAP");
	putchar('\n');
	row("COMMIT LIMIT", m->commit_limit, ps, 0, NULL);
	row("COMMITTED", m->committed, ps, m->commit_limit,
	    m->commit_limit ? "TOTAL LIMIT" : NULL);
}

static void print_json(const struct kt_meminfo *m)
{
	const struct {
		const char *key;
		uint64_t pages;
	} rows[] = {
		{ "total_mem", m->total_mem }, { "free", m->free },
		{ "used", m->used }, { "shared", m->shared },
		{ "buffers", m->buffers }, { "cached", m->cached },
		{ "slab", m->slab }, { "total_huge", m->total_huge },
		{ "huge_free", m->huge_free }, { "total_swap", m->total_swap },
		{ "swap_used", m->swap_used }, { "swap_free", m->swap_free },
		{ "commit_limit", m->commit_limit }, { "committed", m->committed },
	};
	struct json_object *o = json_object_new_object();
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		json_object_object_add(o, rows[i].key,
				       json_object_new_uint64(rows[i].pages));
	kt_cli_print_json(o);
}

static int print_meminfo(struct kt_kernel *k, const struct kt_cli_opts *opts)
{
	struct kt_meminfo m;
	struct kt_error *err = kt_meminfo(k, &m);
	if (err)
		return kt_cli_fail(err);
	if (opts->json)
		print_json(&m);
	else
		print_text(&m);
	return KT_EXIT_OK;
}

/* -i (the default), -s, or an ADDRESS after the dump: one of them. */
struct kmem_run {
	struct kt_cli_opts opts;
	const char *what;
};

static int kmem_option(void *ctx, int code, const char *arg)
{
	struct kmem_run *r = ctx;
	if (r->what)
		return kt_cli_usage("kmem", "one of -i, -s or ADDRESS");
	r->what = code == 'i' ? "-i" : "-s";
	return 0;
}

static int parse(int argc, char **argv, struct kmem_run *r)
{
	const struct kt_cli_parser p = {
		.command = "kmem", .common = KT_CLI_DUMP_OPTIONS, .shortopts = "is",
		.option = kmem_option, .ctx = r,
	};
	int status = kt_cli_parse(&p, argc, argv, &r->opts);
	if (status)
		return status;
	if (r->opts.nr_operands > 2 || (r->opts.nr_operands == 2 && r->what))
		return kt_cli_usage("kmem", "one of -i, -s or ADDRESS");
	if (r->opts.nr_operands == 2)
		r->what = r->opts.operands[1];
	if (!r->opts.nr_operands)
		return kt_cli_usage("kmem", "no dump given");
	r->opts.dump = r->opts.operands[0];
	return 0;
}

static int kmem_body(struct kt_kernel *k, void *ctx)
{
	const struct kmem_run *r = ctx;
	if (!r->what || !strcmp(r->what, "-i"))
		return print_meminfo(k, &r->opts);
	if (!strcmp(r->what, "-s"))
		return kt_cli_kmem_slabs(k, r->opts.json);
	return kt_cli_kmem_address(k, r->what, r->opts.json);
}

int kt_cmd_kmem(int argc, char **argv)
{
	struct kmem_run r = { .what = NULL };
	return kt_cli_run_parsed(parse(argc, argv, &r), &r.opts, kmem_body, &r);
}
