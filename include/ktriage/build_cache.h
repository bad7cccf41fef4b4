/* SPDX-License-Identifier: MIT */
/*
 * A cache of what is decoded per kernel build, on disk, for a host that
 * triages many dumps of one build: the kernel's BTF and kallsyms tables
 * (and the symbol index built from them) come out of the compressed dump
 * once, then from DIR/<BUILD-ID>.<kind>.
 *
 * Safe to lose: any entry may vanish, be truncated or damaged; a damaged
 * one (size, magic, build ID, kind, a section's CRC-32) is a miss and is
 * removed.  Bounded: after a write, the oldest entries go until the
 * directory's entries total at most the bound.  The caller still checks
 * an entry against the dump it has in hand (what "validated on use" means
 * for each kind is said where the kind is used).
 *
 * Not to be confused with ktriaged's STATE/btf (daemon/btf_keep.c), also BTF
 * by build ID: that is the running kernel's BTF, kept for its future dumps
 * that carry none (or lost it), so the only source of their types: never
 * trimmed, a plain .btf file (usable as --btf), checked against VMCOREINFO
 * since the dump has no BTF to compare it with.  An entry here only repeats
 * what the dump holds, checked against the dump's own pages, and may go at
 * any time.  One store would make the kept BTF evictable or the cache
 * unbounded, so the two stay apart.
 */
#ifndef KTRIAGE_BUILD_CACHE_H
#define KTRIAGE_BUILD_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ktriage/base.h"

#define KT_BUILD_CACHE_MAX_SECTIONS 8
/* The default bound on a cache directory: some 6 MB a build. */
#define KT_BUILD_CACHE_DEFAULT_BYTES (256ull << 20)

struct kt_build_cache_section {
	void *data; /* malloc'ed: the caller frees what kt_build_cache_get gave */
	size_t size;
};

/*
 * The sections of DIR/<build_id>.<kind>, each in its own allocation;
 * KT_ERR_NOT_FOUND when absent, damaged or of another layout (count
 * sections expected).
 */
struct kt_error *kt_build_cache_get(const char *dir, const char *build_id,
				    const char *kind, size_t count,
				    struct kt_build_cache_section *sections);
/* Write the entry atomically (a temporary file, then rename), then trim. */
struct kt_error *kt_build_cache_put(const char *dir, const char *build_id,
				    const char *kind, size_t count,
				    const struct kt_build_cache_section *sections,
				    uint64_t max_bytes);
/*
 * For a writer that may not create files (the daemon's sandboxed worker):
 * write the entry into fd, which its parent made; the parent then adopts
 * it: checked as kt_build_cache_get checks an entry, linked into dir under
 * the name its header gives, then the directory trimmed.  An empty fd (the
 * worker had nothing to write) is KT_ERR_NOT_FOUND.
 */
struct kt_error *kt_build_cache_write(int fd, const char *build_id, const char *kind,
				      size_t count,
				      const struct kt_build_cache_section *sections);
struct kt_error *kt_build_cache_adopt(const char *dir, int fd, uint64_t max_bytes);
/*
 * The cache as the kernel model's struct kt_kernel_cache wants it: context
 * is a struct kt_build_cache_settings.  Errors are misses: the cache is
 * never a reason for a result to change.
 */
enum { KT_BUILD_CACHE_BTF, KT_BUILD_CACHE_KALLSYMS, KT_BUILD_CACHE_KINDS };
/* An entry its reader may not open (a sandbox): opened for it beforehand. */
struct kt_build_cache_input {
	char name[128]; /* "<BUILD-ID>.<kind>.ktc" */
	int fd;
};
#define KT_BUILD_CACHE_MAX_INPUTS 128
struct kt_build_cache_settings {
	const char *dir;
	uint64_t max_bytes; /* 0: KT_BUILD_CACHE_DEFAULT_BYTES */
	/* A writer that may not create files: a descriptor per kind ("btf",
	 * "kallsyms"), written with kt_build_cache_write; NULL: into dir. */
	const int *outputs;
	/* A reader that may not open files: the entries, opened beforehand by
	 * kt_build_cache_open_inputs; dir is then never opened.  A damaged one
	 * is a miss, left for the next adopted write to replace. */
	const struct kt_build_cache_input *inputs;
	size_t nr_inputs;
	bool sealed; /* read inputs only (set with inputs, even when none) */
};
/* Open up to max entries of dir (read-only, newest layout checked on use). */
size_t kt_build_cache_open_inputs(const char *dir, struct kt_build_cache_input *inputs,
				  size_t max);
void kt_build_cache_close_inputs(struct kt_build_cache_input *inputs, size_t count);
bool kt_build_cache_fetch(void *settings, const char *build_id, const char *kind,
			  size_t count, void **data, size_t *sizes);
void kt_build_cache_keep(void *settings, const char *build_id, const char *kind,
			 size_t count, void *const *data, const size_t *sizes);
void kt_build_cache_sections_free(size_t count,
				  struct kt_build_cache_section *sections);

#endif
