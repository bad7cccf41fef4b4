// SPDX-License-Identifier: MIT
/*
 * Page reads through libktriage, for bench/reader.py.
 *
 *   ktriage_reads DUMP pfns            print every pfn the dump holds
 *   ktriage_reads DUMP random PFNFILE  read each listed page (kt_dump_read_phys)
 *
 * PFNFILE holds one decimal pfn a line.  Prints "reads N seconds S".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ktriage/dump.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t *load_pfns(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t cap = 1024;
	uint64_t *pfns = malloc(cap * sizeof(*pfns));
	unsigned long long v;
	*n = 0;
	while (pfns && fscanf(f, "%llu", &v) == 1) {
		if (*n == cap)
			pfns = realloc(pfns, (cap *= 2) * sizeof(*pfns));
		if (pfns)
			pfns[(*n)++] = v;
	}
	fclose(f);
	return pfns;
}

static int list_pfns(struct kt_dump *dump)
{
	uint64_t pfn = 0, start, end;
	while (kt_dump_next_range(dump, pfn, &start, &end)) {
		for (pfn = start; pfn < end; pfn++)
			printf("%llu\n", (unsigned long long)pfn);
	}
	return 0;
}

static int random_reads(struct kt_dump *dump, const char *list)
{
	size_t n;
	uint64_t *pfns = load_pfns(list, &n);
	if (!pfns) {
		perror(list);
		return 1;
	}
	uint32_t ps = kt_dump_info(dump)->page_size;
	unsigned char *page = malloc(ps);
	size_t failed = 0;
	double t0 = now();
	for (size_t i = 0; i < n; i++) {
		struct kt_error *err = kt_dump_read_phys(dump, pfns[i] * ps, page, ps);
		failed += err != NULL;
		kt_error_free(err);
	}
	double t = now() - t0;
	printf("reads %zu failed %zu seconds %.6f\n", n, failed, t);
	free(page);
	free(pfns);
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s DUMP pfns|random PFNFILE\n", argv[0]);
		return 2;
	}
	struct kt_dump *dump;
	struct kt_error *err = kt_dump_open(argv[1], &dump);
	if (err) {
		fprintf(stderr, "%s\n", kt_error_string(err));
		kt_error_free(err);
		return 1;
	}
	int rc = strcmp(argv[2], "pfns") == 0 ? list_pfns(dump)
		 : argc == 4 && strcmp(argv[2], "random") == 0 ? random_reads(dump, argv[3])
								 : 2;
	kt_dump_close(dump);
	return rc;
}
