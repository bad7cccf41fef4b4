// SPDX-License-Identifier: MIT
/*
 * ktriage check: decode every page the dump holds and digest the memory.
 * The digest is SHA-256 over (pfn as 8 little-endian bytes, page contents)
 * of every non-zero page that decodes, in pfn order, so two formats of the
 * same memory digest the same.
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "ktriage/dump.h"

#define MAX_REPORTED_ERRORS 10

#define CHECK_HELP                                                            \
	"Usage: ktriage check DUMP... [--json] [--pfns START-END]\n"          \
	"Decode every page the dump holds and digest the memory.\n\n"         \
	"  DUMP...            one dump, or every part of a makedumpfile --split set\n" \
	"  --json             print the counts and digest as JSON\n"            \
	"  --pfns START-END   only pfns START up to END (exclusive); decimal or\n" \
	"                     0x-hex; END may be left out (START-)\n"

struct check_opts {
	bool json;
	uint64_t first_pfn, end_pfn; /* --pfns: digest [first_pfn, end_pfn) */
	const char *const *dumps;    /* one dump, or the parts of a split set */
	size_t nr_dumps;
};

struct check_result {
	uint64_t present, ok, bad, missing;
	char digest[2 * EVP_MAX_MD_SIZE + 1];
};

struct progress {
	bool enabled;
	uint64_t total;
	time_t last;
};

static void show_progress(struct progress *p, uint64_t done)
{
	if (!p->enabled)
		return;
	time_t now = time(NULL);
	if (now == p->last && done != p->total)
		return;
	p->last = now;
	fprintf(stderr, "\rchecking: %llu/%llu pages (%llu%%)",
		(unsigned long long)done, (unsigned long long)p->total,
		p->total ? (unsigned long long)(done * 100 / p->total) : 100ull);
	if (done == p->total)
		fputc('\n', stderr);
}

static void count_failure(struct check_result *r, struct kt_error *err,
			  bool quiet)
{
	if (err->code == KT_ERR_MISSING)
		r->missing++;
	else
		r->bad++;
	if (!quiet && r->missing + r->bad <= MAX_REPORTED_ERRORS)
		kt_cli_error_line("ktriage: %s", kt_error_string(err));
	kt_error_free(err);
}

/*
 * Zero pages are left out of the digest: formats and dump levels disagree
 * on whether a zero page is written or excluded (makedumpfile -E writes
 * some, -d 1 drops them), but never on its contents.
 */
static bool page_is_zero(const unsigned char *page, size_t len)
{
	return page[0] == 0 && memcmp(page, page + 1, len - 1) == 0;
}

static void hex(const unsigned char *in, unsigned len, char *out)
{
	for (unsigned i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", in[i]);
}

static struct kt_error *check_pages(struct kt_dump *dump,
				    const struct check_opts *opts,
				    struct check_result *r)
{
	bool quiet = opts->json;
	const struct kt_dump_info *info = kt_dump_info(dump);
	unsigned char *page = malloc(info->page_size);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (!page || !md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		free(page);
		EVP_MD_CTX_free(md);
		return &kt_error_out_of_memory;
	}
	struct progress progress = {
		.enabled = !quiet && isatty(STDERR_FILENO),
		.total = info->pages_present,
	};
	uint64_t start, end, pfn = opts->first_pfn;
	while (kt_dump_next_range(dump, pfn, &start, &end) &&
	       start < opts->end_pfn) {
		if (end > opts->end_pfn)
			end = opts->end_pfn;
		if (start < opts->first_pfn)
			start = opts->first_pfn;
		for (pfn = start; pfn < end; pfn++) {
			r->present++;
			struct kt_error *err = kt_dump_read_page(dump, pfn, page);
			if (err) {
				count_failure(r, err, quiet);
				continue;
			}
			r->ok++;
			if (page_is_zero(page, info->page_size))
				continue;
			uint64_t le = htole64(pfn);
			EVP_DigestUpdate(md, &le, sizeof(le));
			EVP_DigestUpdate(md, page, info->page_size);
			if (r->present % 4096 == 0)
				show_progress(&progress, r->present);
		}
	}
	progress.total = r->present;
	show_progress(&progress, r->present);
	unsigned char sum[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	EVP_DigestFinal_ex(md, sum, &len);
	hex(sum, len, r->digest);
	EVP_MD_CTX_free(md);
	free(page);
	return NULL;
}

static struct json_object *pfn_range_json(const struct check_opts *opts)
{
	if (opts->first_pfn == 0 && opts->end_pfn == UINT64_MAX)
		return NULL;
	struct json_object *a = json_object_new_array();
	json_object_array_add(a, json_object_new_int64((int64_t)opts->first_pfn));
	json_object_array_add(a, opts->end_pfn == UINT64_MAX
					 ? NULL
					 : json_object_new_int64((int64_t)opts->end_pfn));
	return a;
}

static void print_json(const struct check_opts *opts,
		       const struct check_result *r)
{
	struct json_object *o = json_object_new_object();
	struct json_object *files = json_object_new_array();
	for (size_t i = 0; i < opts->nr_dumps; i++)
		json_object_array_add(files, json_object_new_string(opts->dumps[i]));
	json_object_object_add(o, "file", json_object_new_string(opts->dumps[0]));
	json_object_object_add(o, "files", files);
	json_object_object_add(o, "pfns", pfn_range_json(opts));
	json_object_object_add(o, "pages_present", json_object_new_int64((int64_t)r->present));
	json_object_object_add(o, "pages_ok", json_object_new_int64((int64_t)r->ok));
	json_object_object_add(o, "pages_bad", json_object_new_int64((int64_t)r->bad));
	json_object_object_add(o, "pages_missing", json_object_new_int64((int64_t)r->missing));
	json_object_object_add(o, "digest", json_object_new_string(r->digest));
	kt_cli_print_json(o);
}

static void print_result(const struct check_opts *opts,
			 const struct check_result *r)
{
	if (opts->json) {
		print_json(opts, r);
		return;
	}
	if (opts->first_pfn != 0 || opts->end_pfn != UINT64_MAX)
		printf("pfns:          0x%" PRIx64 "-0x%" PRIx64 "\n",
		       opts->first_pfn, opts->end_pfn);
	printf("pages_present: %llu\npages_ok:      %llu\npages_bad:     %llu\n"
	       "pages_missing: %llu\ndigest:        sha256:%s\n",
	       (unsigned long long)r->present, (unsigned long long)r->ok,
	       (unsigned long long)r->bad, (unsigned long long)r->missing,
	       r->digest);
	if (r->bad || r->missing)
		printf("verdict:       DAMAGED: %llu pages unreadable\n",
		       (unsigned long long)(r->bad + r->missing));
	else
		printf("verdict:       intact\n");
}

static bool parse_pfn(const char *text, char **end, uint64_t *pfn)
{
	if (*text < '0' || *text > '9')
		return false;
	errno = 0;
	unsigned long long v = strtoull(text, end, 0);
	*pfn = v;
	return errno == 0 && *end != text;
}

/* START-END, each decimal or 0x-hex; END is exclusive and may be left out. */
static bool parse_pfn_range(const char *text, uint64_t *first, uint64_t *end)
{
	char *rest;
	if (!parse_pfn(text, &rest, first) || *rest != '-')
		return false;
	if (rest[1] == '\0') {
		*end = UINT64_MAX;
		return true;
	}
	const char *tail = rest + 1;
	return parse_pfn(tail, &rest, end) && *rest == '\0' && *first < *end;
}

static int check_option(void *ctx, int code, const char *arg)
{
	struct check_opts *opts = ctx;
	if (code != 'p')
		return kt_cli_usage("check", "unknown option");
	if (!parse_pfn_range(arg, &opts->first_pfn, &opts->end_pfn))
		return kt_cli_usage("check",
				    "--pfns %s: expected START-END with START < END (END exclusive)",
				    arg);
	return 0;
}

static int parse_check_opts(int argc, char **argv, struct check_opts *opts)
{
	static const struct option longopts[] = {
		{ "pfns", required_argument, NULL, 'p' },
		{ 0 },
	};
	*opts = (struct check_opts){ .end_pfn = UINT64_MAX };
	const struct kt_cli_parser p = {
		.command = "check", .common = KT_CLI_JSON, .longopts = longopts,
		.help = CHECK_HELP, .option = check_option, .ctx = opts,
	};
	struct kt_cli_opts common;
	int status = kt_cli_parse(&p, argc, argv, &common);
	if (status)
		return status;
	if (common.nr_operands < 1)
		return kt_cli_usage("check", "no dump given");
	opts->json = common.json;
	opts->dumps = common.operands;
	opts->nr_dumps = (size_t)common.nr_operands;
	return 0;
}

int kt_cmd_check(int argc, char **argv)
{
	struct check_opts opts;
	int rc = parse_check_opts(argc, argv, &opts);
	if (rc)
		return rc;
	struct kt_dump *dump;
	struct kt_error *err = kt_dump_open_set(opts.dumps, opts.nr_dumps, &dump);
	if (err)
		return kt_cli_fail(err);
	struct check_result result = { 0 };
	err = check_pages(dump, &opts, &result);
	kt_dump_close(dump);
	if (err)
		return kt_cli_fail(err);
	print_result(&opts, &result);
	/* A damaged dump is a finding, not a failure of the command. */
	return KT_EXIT_OK;
}
