/* SPDX-License-Identifier: MIT */
/*
 * Type back-ends behind the kt_type_* API (types.c): the kernel's BTF
 * (libbpf) or a debug vmlinux's DWARF (libdw).  Each answers the same
 * three questions with the same error messages, so nothing above can tell
 * which one spoke.  Not a public header.
 */
#ifndef KTRIAGE_KERNEL_TYPES_H
#define KTRIAGE_KERNEL_TYPES_H

#include "internal.h"

struct kt_types_backend;

struct kt_types_ops {
	const char *name; /* "BTF", "DWARF" */
	/* type: "struct task_struct", "union ...", "enum ...", a typedef. */
	struct kt_error *(*size_of)(struct kt_types_backend *backend,
				    const char *type, uint64_t *size);
	/* member: "pid", or nested through embedded members: "thread.sp". */
	struct kt_error *(*member)(struct kt_types_backend *backend,
				   const char *type, const char *member,
				   struct kt_member *out);
	/* enum_name NULL: search every enum. */
	struct kt_error *(*enum_value)(struct kt_types_backend *backend,
				       const char *enum_name,
				       const char *enumerator, int64_t *value);
	void (*destroy)(struct kt_types_backend *backend);
};

/*
 * Open the DWARF of a debug vmlinux.  KT_ERR_NOT_FOUND when the file has no
 * .debug_info (the caller then tries its .BTF); KT_ERR_INVALID when its
 * build ID is not the dump's (its types would describe another kernel).
 */
struct kt_error *kt_dwarf_types_open(struct kt_kernel *kernel, const char *path,
				     const struct kt_types_ops **ops,
				     struct kt_types_backend **backend);

/*
 * KT_ERR_INVALID when the types disagree with a SIZE() or OFFSET() of the
 * dump's VMCOREINFO: they describe another kernel (types_match.c).
 */
struct kt_error *kt_types_match_vmcoreinfo(struct kt_kernel *kernel,
					   const char *source);

/* The BTF back-end on a blob in memory as kernel's types (tests, fuzzing). */
struct kt_error *kt_types_init_btf(struct kt_kernel *kernel, const void *data,
				   size_t size);

/*
 * The kernel's BTF and, when name is not NULL, the id of the type so named
 * ("struct rq", "pid_t"); the dump's own BTF when DWARF answers kt_type_*.
 */
struct btf;
struct kt_error *kt_types_btf(struct kt_kernel *kernel, const char *name,
			      const struct btf **btf, uint32_t *id);

/*
 * Which back-end answers for this kernel: "BTF", "DWARF", or NULL when
 * there are no types.  Builds the types if nothing has asked yet.
 */
const char *kt_types_backend_name(struct kt_kernel *kernel);

/* Skip typedefs and qualifiers down to the type that has a shape (types.c). */
uint32_t kt_btf_resolve(const struct btf *btf, uint32_t id);
/*
 * Find name among the members of struct/union id, looking inside anonymous
 * members as C does.  Adds the member's bit offset to *bits; its bit size
 * and type go to *bit_size and *type.
 */
bool kt_btf_find_member(const struct btf *btf, uint32_t id, const char *name,
			size_t name_len, uint64_t *bits, uint32_t *bit_size,
			uint32_t *type, int depth);

/* The kernel's BTF from the dump, a file, or an open descriptor (btf_sources.c). */
struct btf;
struct kt_error *kt_btf_from_dump(struct kt_kernel *kernel, struct btf **out);
struct kt_error *kt_btf_from_file(const char *path, struct btf **out);
struct kt_error *kt_btf_from_fd(int fd, const char *name, struct btf **out);
struct kt_error *kt_btf_from_buffer(const void *data, size_t size, struct btf **out);

#endif
