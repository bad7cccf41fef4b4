// SPDX-License-Identifier: MIT
/*
 * BTF and the types layer on a hostile blob: kt_types_init_btf (libbpf's
 * btf__new, then our name hash), then the lookups the kernel model makes
 * (sizes, nested members, enumerators) on the names the model uses and on
 * every name the blob itself defines.  libbpf validates the blob's layout;
 * what it lets through (odd names, loops of typedefs, deep anonymous
 * members, kinds the model does not expect) is the types layer's to survive.
 */
#include <bpf/btf.h>
#include <stdlib.h>

#include "fuzz.h"
#include "../../lib/kernel/types.h"

#define MAX_TYPES 4096
#define MAX_MEMBERS 64

static const char *const members[][2] = {
	{ "struct task_struct", "__state" },  { "struct task_struct", "state" },
	{ "struct task_struct", "thread.sp" },{ "struct task_struct", "se.sum_exec_runtime" },
	{ "struct task_struct", "tasks.next" },{ "struct list_head", "next" },
	{ "struct mutex", "owner.counter" },  { "struct rq", "clock" },
	{ "struct module", "name" },          { "atomic_long_t", "counter" },
	{ "struct task_struct", "" },         { "struct task_struct", "." },
	{ "struct task_struct", "a..b" },
};

static void lookup_member(struct kt_kernel *k, const char *type,
			  const char *member)
{
	struct kt_member m;
	uint64_t offset;
	fuzz_drop(kt_type_member(k, type, member, &m));
	fuzz_drop(kt_type_offsetof(k, type, member, &offset));
	(void)kt_type_has_member(k, type, member);
}

/* "struct name", "union name", "enum name" or the plain name. */
static void qualified(const struct btf_type *t, const char *name, char *buf,
		      size_t size)
{
	const char *kind = btf_is_struct(t) ? "struct "
			 : btf_is_union(t)  ? "union "
			 : btf_is_any_enum(t) ? "enum " : "";
	snprintf(buf, size, "%s%s", kind, name);
}

static void lookup_type(struct kt_kernel *k, const struct btf *btf,
			const struct btf_type *t)
{
	const char *name = btf__name_by_offset(btf, t->name_off);
	if (!name)
		return;
	char type[300];
	uint64_t size;
	int64_t value;
	qualified(t, name, type, sizeof(type));
	fuzz_drop(kt_type_sizeof(k, type, &size));
	if (btf_is_composite(t)) {
		const struct btf_member *m = btf_members(t);
		for (uint16_t i = 0; i < btf_vlen(t) && i < MAX_MEMBERS; i++, m++) {
			const char *member = btf__name_by_offset(btf, m->name_off);
			if (!member)
				continue;
			lookup_member(k, type, member);
			/* one level down: "member.first member of its type" */
			char nested[600];
			snprintf(nested, sizeof(nested), "%s.next", member);
			lookup_member(k, type, nested);
		}
	} else if (btf_is_enum(t)) {
		const struct btf_enum *e = btf_enum(t);
		for (uint16_t i = 0; i < btf_vlen(t) && i < MAX_MEMBERS; i++, e++) {
			const char *enumerator = btf__name_by_offset(btf, e->name_off);
			if (!enumerator)
				continue;
			fuzz_drop(kt_type_enum_value(k, type, enumerator, &value));
			if (i == 0)
				fuzz_drop(kt_type_enum_value(k, NULL, enumerator, &value));
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kt_kernel kernel = { 0 };
	void *blob = malloc(size ? size : 1);
	if (!blob)
		return 0;
	memcpy(blob, data, size);
	struct kt_error *err = kt_types_init_btf(&kernel, blob, size);
	if (fuzz_verbose()) {
		uint64_t sz = 0;
		struct kt_member m = { 0 };
		struct kt_error *e1 = err ? NULL : kt_type_sizeof(&kernel, "struct task_struct", &sz);
		struct kt_error *e2 = err ? NULL : kt_type_member(&kernel, "struct task_struct", "thread.sp", &m);
		fprintf(stderr, "%s; task_struct %" PRIu64 " bytes (%s), thread.sp at bit %" PRIu64 " (%s)\n",
			kt_error_string(err), sz, kt_error_string(e1), m.bit_offset, kt_error_string(e2));
		fuzz_drop(e1);
		fuzz_drop(e2);
	}
	if (err) {
		fuzz_drop(err);
		free(blob);
		return 0;
	}
	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
		lookup_member(&kernel, members[i][0], members[i][1]);
	int64_t value;
	uint64_t bytes;
	fuzz_drop(kt_type_enum_value(&kernel, NULL, "TASK_COMM_LEN", &value));
	fuzz_drop(kt_type_sizeof(&kernel, "struct task_struct", &bytes));
	fuzz_drop(kt_type_sizeof(&kernel, "", &bytes));
	/* The names the blob defines, read with libbpf's own view of it. */
	struct btf *btf = btf__new(blob, (uint32_t)size);
	if (btf) {
		uint32_t n = btf__type_cnt(btf);
		for (uint32_t id = 1; id < n && id < MAX_TYPES; id++)
			lookup_type(&kernel, btf, btf__type_by_id(btf, id));
		btf__free(btf);
	}
	kt_types_destroy(&kernel);
	free(blob);
	return 0;
}
