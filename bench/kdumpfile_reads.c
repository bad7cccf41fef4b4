// SPDX-License-Identifier: MIT
/*
 * The same page reads through libkdumpfile, for bench/reader.py.  Machine
 * physical addresses: no kernel address translation is needed (or, without
 * more set-up, possible) to read raw pages.
 *
 *   kdumpfile_reads DUMP random PFNFILE  read each listed page
 *   kdumpfile_reads DUMP all PFNFILE     read them all in order and print
 *                                        the digest `ktriage check` prints
 *
 * PFNFILE holds one decimal pfn a line.  Prints "reads N seconds S".
 */
#include <endian.h>
#include <fcntl.h>
#include <libkdumpfile/kdumpfile.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PAGE_SIZE 4096

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

static bool is_zero(const unsigned char *p)
{
	return p[0] == 0 && memcmp(p, p + 1, PAGE_SIZE - 1) == 0;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s DUMP random|all PFNFILE\n", argv[0]);
		return 2;
	}
	bool all = strcmp(argv[2], "all") == 0;
	size_t n;
	uint64_t *pfns = load_pfns(argv[3], &n);
	int fd = open(argv[1], O_RDONLY);
	kdump_ctx_t *ctx = kdump_new();
	if (!pfns || fd < 0 || !ctx || kdump_open_fd(ctx, fd) != KDUMP_OK) {
		fprintf(stderr, "%s: %s\n", argv[1], ctx ? kdump_get_err(ctx) : "no context");
		return 1;
	}
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	unsigned char page[PAGE_SIZE];
	size_t failed = 0;
	double t0 = now();
	for (size_t i = 0; i < n; i++) {
		size_t size = PAGE_SIZE;
		if (kdump_read(ctx, KDUMP_MACHPHYSADDR, pfns[i] * PAGE_SIZE, page, &size) != KDUMP_OK) {
			if (!failed++)
				fprintf(stderr, "%s: pfn 0x%llx: %s\n", argv[1],
					(unsigned long long)pfns[i], kdump_get_err(ctx));
			continue;
		}
		if (all && !is_zero(page)) {
			uint64_t le = htole64(pfns[i]);
			EVP_DigestUpdate(md, &le, sizeof(le));
			EVP_DigestUpdate(md, page, PAGE_SIZE);
		}
	}
	double t = now() - t0;
	unsigned char sum[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	EVP_DigestFinal_ex(md, sum, &len);
	printf("reads %zu failed %zu seconds %.6f", n, failed, t);
	if (all) {
		printf(" digest ");
		for (unsigned i = 0; i < len; i++)
			printf("%02x", sum[i]);
	}
	printf("\n");
	EVP_MD_CTX_free(md);
	kdump_free(ctx);
	close(fd);
	free(pfns);
	return failed ? 1 : 0;
}
