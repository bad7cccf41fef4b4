// SPDX-License-Identifier: MIT
/*
 * ktriage check: decode every page the dump holds and digest the memory.
 * The digest is SHA-256 over (pfn as 8 little-endian bytes, page contents)
 * of every non-zero page that decodes, in pfn order, so two formats of the
 * same memory digest the same.
 */
#include <endian.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "ktriage/dump.h"

#define MAX_REPORTED_ERRORS 10

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
		fprintf(stderr, "ktriage: %s\n", kt_error_string(err));
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
				    struct check_result *r, bool quiet)
{
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
	uint64_t start, end, pfn = 0;
	uint64_t limit = getenv("KT_LIMIT") ? strtoull(getenv("KT_LIMIT"), NULL, 0) : UINT64_MAX;
	while (kt_dump_next_range(dump, pfn, &start, &end) && start < limit) {
		if (end > limit) end = limit;
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

static void print_result(const char *path, const struct check_result *r,
			 bool json)
{
	if (json) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "file", json_object_new_string(path));
		json_object_object_add(o, "pages_present", json_object_new_int64((int64_t)r->present));
		json_object_object_add(o, "pages_ok", json_object_new_int64((int64_t)r->ok));
		json_object_object_add(o, "pages_bad", json_object_new_int64((int64_t)r->bad));
		json_object_object_add(o, "pages_missing", json_object_new_int64((int64_t)r->missing));
		json_object_object_add(o, "digest", json_object_new_string(r->digest));
		kt_cli_print_json(o);
		return;
	}
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

int kt_cmd_check(int argc, char **argv)
{
	struct kt_cli_opts opts;
	int rc = kt_cli_parse_dump_opts("check", argc, argv, &opts);
	if (rc)
		return rc;
	struct kt_dump *dump;
	struct kt_error *err = kt_dump_open(opts.dump, &dump);
	if (err)
		return kt_cli_fail(err);
	struct check_result result = { 0 };
	err = check_pages(dump, &result, opts.json);
	kt_dump_close(dump);
	if (err)
		return kt_cli_fail(err);
	print_result(opts.dump, &result, opts.json);
	/* A damaged dump is a finding, not a failure of the command. */
	return KT_EXIT_OK;
}
