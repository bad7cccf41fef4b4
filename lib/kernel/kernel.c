// SPDX-License-Identifier: MIT
/*
 * The kernel model's foundations, in bootstrap order: VMCOREINFO and the
 * architecture's address translation when the kernel is opened; then the
 * stages (enum kt_kernel_stage) each built once, on first use or by
 * kt_kernel_load: symbols (kallsyms and the direct map), types (BTF or
 * DWARF), per-CPU offsets.  A stage's failure is kept and given again to
 * whoever asks.  The concerns above (concerns.c) are not named here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void kt_kernel_damage(struct kt_kernel *k, enum kt_error_code code,
		      uint64_t object, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kt_damage_addv(&k->damage, code, object, fmt, ap);
	va_end(ap);
}

void kt_kernel_warn(struct kt_kernel *k, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kt_damage_addv(&k->damage, KT_ERR_INVALID, 0, fmt, ap);
	va_end(ap);
}

size_t kt_kernel_warning_count(const struct kt_kernel *k)
{
	return kt_damage_count(k->damage);
}

const char *kt_kernel_warning(const struct kt_kernel *k, size_t i)
{
	const struct kt_damage_entry *e = kt_damage_at(k->damage, i);
	return e ? e->message : NULL;
}

const struct kt_damage *kt_kernel_damage_list(const struct kt_kernel *k)
{
	return k->damage;
}

static struct kt_error *load_vmcoreinfo(struct kt_kernel *k)
{
	size_t len;
	const char *text = kt_dump_vmcoreinfo(k->dump, &len);
	if (!text || !len)
		return kt_error_create(KT_ERR_NOT_FOUND,
				       "%s: no VMCOREINFO in the dump: the kernel cannot be found without it",
				       kt_dump_info(k->dump)->path);
	struct kt_error *err = kt_vmcoreinfo_parse(text, len, &k->vmcoreinfo);
	if (err)
		return kt_error_wrap(err, "%s", kt_dump_info(k->dump)->path);
	k->release = kt_vmcoreinfo_get(k->vmcoreinfo, "OSRELEASE");
	uint64_t v;
	k->page_size = kt_dump_info(k->dump)->page_size;
	if (kt_vmcoreinfo_u64(k->vmcoreinfo, "PAGESIZE", 10, &v) && v != k->page_size)
		kt_kernel_warn(k, "VMCOREINFO PAGESIZE %llu differs from the dump's %u",
			       (unsigned long long)v, k->page_size);
	if (kt_vmcoreinfo_u64(k->vmcoreinfo, "KERNELOFFSET", 16, &v))
		k->kernel_offset = v;
	if (!kt_vmcoreinfo_number(k->vmcoreinfo, "phys_base", &k->phys_base))
		k->phys_base = 0;
	return NULL;
}

size_t kt_kernel_max_objects(const struct kt_kernel *k, uint64_t object_size)
{
	const struct kt_dump_info *info = kt_dump_info(k->dump);
	if (!object_size || info->max_pfn > UINT64_MAX / info->page_size)
		return KT_MAX_LIST_ENTRIES;
	uint64_t n = info->max_pfn * info->page_size / object_size + 1;
	return n < KT_MAX_LIST_ENTRIES ? (size_t)n : KT_MAX_LIST_ENTRIES;
}

/*
 * What the CLI prints must name the dump; errors made where only a symbol
 * or a type is known get its path in front (those from the reader have it).
 */
static struct kt_error *name_dump(const struct kt_kernel *k,
				  struct kt_error *err)
{
	const char *path = kt_dump_info(k->dump)->path;
	if (!err || err == &kt_error_out_of_memory ||
	    strncmp(err->message, path, strlen(path)) == 0)
		return err;
	return kt_error_wrap(err, "%s", path);
}

/*
 * The architecture the dump names; one with no translation here is said in
 * one line rather than left to fail in another's page-table walk.  A dump
 * that names none (a bare ELF from an older tool) is read as x86-64, as
 * before there was a choice.
 */
static const struct kt_arch_ops *const architectures[] = {
	&kt_arch_x86_64,
	&kt_arch_arm64,
};

static struct kt_error *choose_arch(struct kt_kernel *k)
{
	const char *arch = kt_dump_arch(k->dump);
	if (!arch) {
		k->arch = &kt_arch_x86_64;
		return NULL;
	}
	for (size_t i = 0; i < sizeof(architectures) / sizeof(architectures[0]); i++) {
		if (strcmp(arch, architectures[i]->name) == 0) {
			k->arch = architectures[i];
			return NULL;
		}
	}
	return kt_error_create(KT_ERR_UNSUPPORTED,
			       "%s: a dump of a %s kernel: ktriage reads x86_64 and arm64 only",
			       kt_dump_info(k->dump)->path, arch);
}

const char *kt_kernel_arch(const struct kt_kernel *k)
{
	return k->arch ? k->arch->name : "unknown";
}

/*
 * __per_cpu_offset[] and nr_cpu_ids: each CPU's copy of a per-CPU variable
 * is at the variable's address plus its CPU's offset.
 */
static void load_per_cpu(struct kt_kernel *k)
{
	uint64_t nr_addr, offsets;
	uint32_t nr = 0;
	struct kt_error *nr_err = kt_symbol_address(k, "nr_cpu_ids", &nr_addr);
	if (!nr_err)
		nr_err = kt_kernel_read_u32(k, nr_addr, &nr);
	if (nr_err)
		nr = k->arch->count_cpus ? k->arch->count_cpus(k) : 0; /* 0: said below */
	kt_error_free(nr_err);
	if (nr == 0 || nr > KT_MAX_CPUS) {
		kt_kernel_warn(k, "nr_cpu_ids %u is implausible; assuming 1", nr);
		nr = 1;
	}
	struct kt_error *err = kt_symbol_address(k, "__per_cpu_offset", &offsets);
	k->per_cpu_offset = calloc(nr, sizeof(*k->per_cpu_offset));
	if (err || !k->per_cpu_offset) {
		kt_error_free(err);
		kt_kernel_warn(k, "__per_cpu_offset not found: per-CPU data unreadable");
		k->nr_cpus = 0;
		return;
	}
	err = kt_kernel_read(k, offsets, k->per_cpu_offset, nr * sizeof(uint64_t));
	if (err) {
		kt_kernel_warn(k, "%s", kt_error_string(err));
		kt_error_free(err);
		nr = 0;
	}
	k->nr_cpus = nr;
}

struct kt_error *kt_kernel_open(struct kt_dump *dump,
				const struct kt_kernel_options *options,
				struct kt_kernel **out)
{
	struct kt_kernel *k = calloc(1, sizeof(*k));
	if (!k)
		return &kt_error_out_of_memory;
	k->dump = dump;
	if (options)
		k->options = *options;
	struct kt_error *err = load_vmcoreinfo(k);
	if (!err)
		err = choose_arch(k);
	if (!err)
		err = name_dump(k, k->arch->init(k));
	if (err) {
		kt_kernel_close(k);
		return err;
	}
	*out = k;
	return NULL;
}

static struct kt_error *copy_error(const struct kt_error *err, const char *what)
{
	if (err)
		return kt_error_create(err->code, "%s", err->message);
	return kt_error_create(KT_ERR_NOT_FOUND, "%s are still being built", what);
}

static struct kt_error *build_symbols(struct kt_kernel *k)
{
	struct kt_error *err = kt_symbols_init(k);
	if (!err && k->arch->late_init)
		err = k->arch->late_init(k);
	return name_dump(k, err);
}

static bool symbols_ready(const struct kt_kernel *k)
{
	return k->symbols != NULL;
}

static struct kt_error *build_types(struct kt_kernel *k)
{
	return name_dump(k, kt_types_init(k));
}

static bool types_ready(const struct kt_kernel *k)
{
	return k->types != NULL;
}

static struct kt_error *build_per_cpu(struct kt_kernel *k)
{
	load_per_cpu(k);
	return NULL;
}

static bool per_cpu_ready(const struct kt_kernel *k)
{
	return k->stages[KT_KERNEL_PER_CPU].tried; /* what is missing was warned */
}

/* The stages after open, in bootstrap order (enum kt_kernel_stage). */
static const struct stage {
	const char *name;
	struct kt_error *(*build)(struct kt_kernel *k);
	bool (*ready)(const struct kt_kernel *k);
} stages[KT_KERNEL_NR_STAGES] = {
	[KT_KERNEL_SYMBOLS] = { "symbols", build_symbols, symbols_ready },
	[KT_KERNEL_TYPES] = { "types", build_types, types_ready },
	[KT_KERNEL_PER_CPU] = { "per-CPU offsets", build_per_cpu, per_cpu_ready },
};

/*
 * Build a stage the first time anything asks; later calls answer at once.
 * The error, when there is one, is a fresh copy of why it is missing.
 */
static struct kt_error *need_stage(struct kt_kernel *k, enum kt_kernel_stage s)
{
	if (stages[s].ready(k))
		return NULL;
	if (!k->stages[s].tried) {
		/* Marked first: building reads memory, which may ask again. */
		k->stages[s].tried = true;
		k->stages[s].error = stages[s].build(k);
		if (stages[s].ready(k))
			return NULL;
	}
	return copy_error(k->stages[s].error, stages[s].name);
}

struct kt_error *kt_kernel_need_symbols(struct kt_kernel *k)
{
	return need_stage(k, KT_KERNEL_SYMBOLS);
}

struct kt_error *kt_kernel_need_types(struct kt_kernel *k)
{
	return need_stage(k, KT_KERNEL_TYPES);
}

bool kt_kernel_has_types(struct kt_kernel *k)
{
	if (!k->stages[KT_KERNEL_TYPES].tried)
		kt_error_free(need_stage(k, KT_KERNEL_TYPES));
	return types_ready(k);
}

struct kt_error *kt_kernel_load(struct kt_kernel *k, enum kt_kernel_stage upto)
{
	struct kt_error *first = NULL;
	for (unsigned s = 0; s <= upto && s < KT_KERNEL_NR_STAGES; s++) {
		struct kt_error *err = need_stage(k, s);
		if (first)
			kt_error_free(err);
		else
			first = err;
	}
	return first;
}

void kt_kernel_close(struct kt_kernel *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < kt_nr_kernel_concerns; i++)
		kt_kernel_concerns[i](k);
	kt_types_destroy(k);
	kt_symbols_destroy(k);
	if (k->arch && k->arch->destroy)
		k->arch->destroy(k);
	kt_vmcoreinfo_free(k->vmcoreinfo);
	for (unsigned s = 0; s < KT_KERNEL_NR_STAGES; s++)
		kt_error_free(k->stages[s].error);
	free(k->per_cpu_offset);
	kt_damage_free(k->damage);
	free(k);
}

struct kt_dump *kt_kernel_dump(const struct kt_kernel *k)
{
	return k->dump;
}

const struct kt_vmcoreinfo *kt_kernel_vmcoreinfo(const struct kt_kernel *k)
{
	return k->vmcoreinfo;
}

const char *kt_kernel_release(const struct kt_kernel *k)
{
	return k->release ? k->release : "";
}

struct kt_error *kt_kernel_symbol(struct kt_kernel *k, const char *name,
				  uint64_t *address)
{
	if (kt_vmcoreinfo_symbol(k->vmcoreinfo, name, address))
		return NULL;
	if (k->stages[KT_KERNEL_SYMBOLS].tried && !k->symbols &&
	    !k->stages[KT_KERNEL_SYMBOLS].error)
		return kt_error_create(KT_ERR_NOT_FOUND,
				       "symbol %s: not in VMCOREINFO, and kallsyms is not read yet",
				       name);
	return kt_symbol_address(k, name, address);
}

unsigned kt_kernel_nr_cpus(struct kt_kernel *k)
{
	kt_error_free(need_stage(k, KT_KERNEL_PER_CPU));
	return k->nr_cpus;
}

struct kt_error *kt_kernel_per_cpu(struct kt_kernel *k, uint64_t addr,
				   unsigned cpu, uint64_t *out)
{
	kt_error_free(need_stage(k, KT_KERNEL_PER_CPU));
	if (cpu >= k->nr_cpus)
		return kt_error_create(KT_ERR_USAGE,
				       "CPU %u: only %u CPUs are possible", cpu,
				       k->nr_cpus);
	*out = addr + k->per_cpu_offset[cpu];
	return NULL;
}
