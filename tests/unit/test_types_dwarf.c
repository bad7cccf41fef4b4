// SPDX-License-Identifier: MIT
/*
 * The DWARF back-end answers as the BTF one does.  The bundled sample is
 * opened twice: from the dump alone (its own BTF) and with the matching
 * debug vmlinux (DWARF through libdw); sizes, member offsets (nested,
 * anonymous, bitfields) and enumerators must be identical, and so must the
 * errors for what does not exist.
 *
 * The vmlinux is looked up as $KT_VMLINUX_DIR/vmlinux-<OSRELEASE> (default
 * directory /tmp/kt/debug/usr/lib/debug/boot, where
 * `apt-get download linux-image-<release>-dbg` and `dpkg-deb
 * --fsys-tarfile ... | tar -x` put it); the tests are skipped without it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../lib/kernel/types.h"

#define DEFAULT_VMLINUX_DIR "/tmp/kt/debug/usr/lib/debug/boot"

struct both {
	struct kt_dump *dump;
	struct kt_kernel *btf;   /* the dump's own BTF */
	struct kt_kernel *dwarf; /* the debug vmlinux's DWARF */
	char vmlinux[4096];
};

static int setup(void **state)
{
	const char *sample = getenv("KT_SAMPLE");
	const char *dir = getenv("KT_VMLINUX_DIR");
	if (!dir)
		dir = DEFAULT_VMLINUX_DIR;
	if (!sample) {
		fprintf(stderr, "KT_SAMPLE is not set: skipping\n");
		return 0;
	}
	struct both *b = calloc(1, sizeof(*b));
	assert_non_null(b);
	char path[4096];
	snprintf(path, sizeof(path), "%s/vmcore.kdump", sample);
	struct kt_error *err = kt_dump_open(path, &b->dump);
	assert_null(err);
	err = kt_kernel_open(b->dump, NULL, &b->btf);
	assert_null(err);
	snprintf(b->vmlinux, sizeof(b->vmlinux), "%s/vmlinux-%s", dir,
		 kt_kernel_release(b->btf));
	if (access(b->vmlinux, R_OK) != 0) {
		fprintf(stderr, "%s: not here (KT_VMLINUX_DIR): skipping the "
				"BTF/DWARF comparison\n", b->vmlinux);
	} else {
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		err = kt_kernel_open(b->dump,
				     &(struct kt_kernel_options){ .vmlinux = b->vmlinux },
				     &b->dwarf);
		assert_null(err);
		uint64_t size;
		kt_error_free(kt_type_sizeof(b->dwarf, "struct task_struct", &size));
		clock_gettime(CLOCK_MONOTONIC, &t1);
		fprintf(stderr, "opened with %s, first type in %.2f s\n", b->vmlinux,
			(double)(t1.tv_sec - t0.tv_sec) +
				(double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	}
	*state = b;
	return 0;
}

static int teardown(void **state)
{
	struct both *b = *state;
	if (!b)
		return 0;
	kt_kernel_close(b->dwarf);
	kt_kernel_close(b->btf);
	kt_dump_close(b->dump);
	free(b);
	return 0;
}

static struct both *need_both(void **state)
{
	struct both *b = *state;
	if (!b || !b->dwarf) {
		skip();
		return NULL;
	}
	return b;
}

static void backends_are_what_was_asked_for(void **state)
{
	struct both *b = need_both(state);
	assert_non_null(kt_types_backend_name(b->btf));
	assert_string_equal(kt_types_backend_name(b->btf), "BTF");
	const char *name = kt_types_backend_name(b->dwarf);
	if (!name || strcmp(name, "DWARF") != 0) {
		for (size_t i = 0; i < kt_kernel_warning_count(b->dwarf); i++)
			fprintf(stderr, "warning: %s\n", kt_kernel_warning(b->dwarf, i));
		fail_msg("%s: the DWARF back-end was not chosen", b->vmlinux);
	}
}

static void members_agree(void **state)
{
	struct both *b = need_both(state);
	static const struct {
		const char *type, *member;
	} members[] = {
		{ "struct task_struct", "__state" },
		{ "struct task_struct", "pid" },
		{ "struct task_struct", "tgid" },
		{ "struct task_struct", "comm" },
		{ "struct task_struct", "tasks" },
		{ "struct task_struct", "tasks.next" },
		{ "struct task_struct", "thread.sp" },
		{ "struct task_struct", "thread_group" },
		{ "struct task_struct", "real_parent" },
		{ "struct task_struct", "stack" },
		{ "struct task_struct", "on_cpu" },
		{ "struct task_struct", "exit_state" },
		{ "struct task_struct", "flags" },
		{ "struct task_struct", "se.sum_exec_runtime" },
		{ "struct task_struct", "sched_info.last_arrival" },
		{ "struct task_struct", "pi_blocked_on" },
		/* bitfields */
		{ "struct task_struct", "sched_reset_on_fork" },
		{ "struct task_struct", "sched_contributes_to_load" },
		{ "struct task_struct", "in_execve" },
		{ "struct task_struct", "in_iowait" },
		{ "struct mutex", "owner" },
		{ "struct mutex", "wait_list" },
		{ "struct rw_semaphore", "count" },
		{ "struct percpu_rw_semaphore", "block" },
		{ "struct rt_mutex_base", "owner" },
		{ "struct rq", "curr" },
		{ "struct rq", "clock" },
		{ "struct rq", "nr_running" },
		{ "struct list_head", "prev" },
		{ "struct module", "name" },
		{ "struct module", "list" },
		{ "struct module", "core_layout.base" },
		{ "struct module", "taints" },
		/* members of anonymous unions and structs */
		{ "struct page", "flags" },
		{ "struct page", "lru" },
		{ "struct page", "compound_head" },
		{ "struct page", "_mapcount" },
		{ "struct mm_struct", "mm_count" },
		{ "struct pglist_data", "node_present_pages" },
		{ "struct timekeeper", "xtime_sec" },
		{ "struct timekeeper", "tkr_mono.base" },
		{ "struct uts_namespace", "name.release" },
		{ "struct printk_ringbuffer", "desc_ring.count_bits" },
		{ "struct clocksource", "mult" },
		{ "atomic_t", "counter" },
		{ "struct inactive_task_frame", "ret_addr" },
	};
	int differences = 0;
	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		struct kt_member mb, md;
		struct kt_error *eb = kt_type_member(b->btf, members[i].type,
						     members[i].member, &mb);
		struct kt_error *ed = kt_type_member(b->dwarf, members[i].type,
						     members[i].member, &md);
		if (eb || ed) {
			fprintf(stderr, "%s.%s: BTF %s, DWARF %s\n", members[i].type,
				members[i].member, eb ? kt_error_string(eb) : "found",
				ed ? kt_error_string(ed) : "found");
			differences++;
		} else if (mb.bit_offset != md.bit_offset ||
			   mb.bit_size != md.bit_size || mb.size != md.size) {
			fprintf(stderr,
				"%s.%s: BTF bit offset %llu, bit size %u, size %llu; "
				"DWARF %llu, %u, %llu\n",
				members[i].type, members[i].member,
				(unsigned long long)mb.bit_offset, mb.bit_size,
				(unsigned long long)mb.size,
				(unsigned long long)md.bit_offset, md.bit_size,
				(unsigned long long)md.size);
			differences++;
		}
		kt_error_free(eb);
		kt_error_free(ed);
	}
	assert_int_equal(differences, 0);
}

static void sizes_agree(void **state)
{
	struct both *b = need_both(state);
	static const char *const types[] = {
		"struct task_struct", "struct rq", "struct page", "struct mutex",
		"struct cpumask", "struct timekeeper", "struct list_head",
		"struct pt_regs", "enum pid_type", "atomic_t", "atomic_long_t",
		"u64", "long unsigned int", "int", "seqcount_raw_spinlock_t",
		"struct printk_info",
	};
	int differences = 0;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		uint64_t sb = 0, sd = 0;
		struct kt_error *eb = kt_type_sizeof(b->btf, types[i], &sb);
		struct kt_error *ed = kt_type_sizeof(b->dwarf, types[i], &sd);
		if (eb || ed || sb != sd) {
			fprintf(stderr, "sizeof(%s): BTF %llu%s%s, DWARF %llu%s%s\n",
				types[i], (unsigned long long)sb, eb ? " " : "",
				eb ? kt_error_string(eb) : "", (unsigned long long)sd,
				ed ? " " : "", ed ? kt_error_string(ed) : "");
			differences++;
		}
		kt_error_free(eb);
		kt_error_free(ed);
	}
	assert_int_equal(differences, 0);
}

static void enumerators_agree(void **state)
{
	struct both *b = need_both(state);
	static const struct {
		const char *type, *name;
	} enums[] = {
		{ "enum pid_type", "PIDTYPE_TGID" },
		{ "enum pid_type", "PIDTYPE_MAX" },
		{ "enum zone_stat_item", "NR_FREE_PAGES" },
		{ "enum node_stat_item", "NR_SLAB_RECLAIMABLE_B" },
		{ "enum node_stat_item", "NR_FILE_PAGES" },
		{ NULL, "TASK_COMM_LEN" }, /* an anonymous enum */
		{ NULL, "NR_VM_ZONE_STAT_ITEMS" },
		{ NULL, "CPUHP_AP_ONLINE_DYN" },
		{ NULL, "PG_slab" },
	};
	int differences = 0;
	for (size_t i = 0; i < sizeof(enums) / sizeof(enums[0]); i++) {
		int64_t vb = -1, vd = -1;
		struct kt_error *eb = kt_type_enum_value(b->btf, enums[i].type,
							 enums[i].name, &vb);
		struct kt_error *ed = kt_type_enum_value(b->dwarf, enums[i].type,
							 enums[i].name, &vd);
		if (eb || ed || vb != vd) {
			fprintf(stderr, "%s: BTF %lld%s%s, DWARF %lld%s%s\n",
				enums[i].name, (long long)vb, eb ? " " : "",
				eb ? kt_error_string(eb) : "", (long long)vd,
				ed ? " " : "", ed ? kt_error_string(ed) : "");
			differences++;
		}
		kt_error_free(eb);
		kt_error_free(ed);
	}
	assert_int_equal(differences, 0);
}

/* What does not exist fails the same way, with the same words. */
static void missing_things_fail_alike(void **state)
{
	struct both *b = need_both(state);
	struct kt_member m;
	uint64_t size;
	int64_t value;
	struct kt_error *pairs[][2] = {
		{ kt_type_member(b->btf, "struct task_struct", "no_such_member", &m),
		  kt_type_member(b->dwarf, "struct task_struct", "no_such_member", &m) },
		{ kt_type_member(b->btf, "struct task_struct", "thread.no_such", &m),
		  kt_type_member(b->dwarf, "struct task_struct", "thread.no_such", &m) },
		{ kt_type_sizeof(b->btf, "struct no_such_type_anywhere", &size),
		  kt_type_sizeof(b->dwarf, "struct no_such_type_anywhere", &size) },
		{ kt_type_enum_value(b->btf, NULL, "NO_SUCH_ENUMERATOR", &value),
		  kt_type_enum_value(b->dwarf, NULL, "NO_SUCH_ENUMERATOR", &value) },
		{ kt_type_enum_value(b->btf, "enum pid_type", "PIDTYPE_NONE", &value),
		  kt_type_enum_value(b->dwarf, "enum pid_type", "PIDTYPE_NONE", &value) },
	};
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		assert_non_null(pairs[i][0]);
		assert_non_null(pairs[i][1]);
		assert_int_equal(pairs[i][0]->code, pairs[i][1]->code);
		assert_string_equal(kt_error_string(pairs[i][0]),
				    kt_error_string(pairs[i][1]));
		kt_error_free(pairs[i][0]);
		kt_error_free(pairs[i][1]);
	}
	assert_false(kt_type_has_member(b->dwarf, "struct task_struct", "state"));
	assert_true(kt_type_has_member(b->dwarf, "struct task_struct", "__state"));
}

/*
 * A vmlinux of another build must not describe this kernel: its types are
 * refused with a warning and the dump's own BTF answers.  Any shared dump
 * of another build will do (the PREEMPT_RT one is).
 */
static void another_build_is_refused(void **state)
{
	struct both *b = need_both(state);
	const char *corpus = getenv("KT_VMCORES");
	const char *ours = kt_vmcoreinfo_get(kt_kernel_vmcoreinfo(b->btf), "BUILD-ID");
	static const char *const scenarios[] = { "rt_mutex_corrupt", "sysrq" };
	for (size_t i = 0; corpus && ours && i < 2; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s/vmcore.kdump", corpus, scenarios[i]);
		struct kt_dump *dump;
		if (access(path, R_OK) != 0 || kt_dump_open(path, &dump) != NULL)
			continue;
		struct kt_kernel *k;
		assert_null(kt_kernel_open(dump, NULL, &k));
		const char *theirs = kt_vmcoreinfo_get(kt_kernel_vmcoreinfo(k), "BUILD-ID");
		bool other = theirs && strcmp(theirs, ours) != 0;
		kt_kernel_close(k);
		if (!other) {
			kt_dump_close(dump);
			continue;
		}
		assert_null(kt_kernel_open(dump,
					   &(struct kt_kernel_options){ .vmlinux = b->vmlinux },
					   &k));
		const char *name = kt_types_backend_name(k);
		assert_non_null(name);
		assert_string_equal(name, "BTF");
		bool warned = false;
		for (size_t w = 0; w < kt_kernel_warning_count(k); w++)
			warned |= strstr(kt_kernel_warning(k, w), "is not the dump's") != NULL;
		assert_true(warned);
		kt_kernel_close(k);
		kt_dump_close(dump);
		return;
	}
	fprintf(stderr, "no dump of another build in KT_VMCORES: skipping\n");
	skip();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(backends_are_what_was_asked_for),
		cmocka_unit_test(members_agree),
		cmocka_unit_test(sizes_agree),
		cmocka_unit_test(enumerators_agree),
		cmocka_unit_test(missing_things_fail_alike),
		cmocka_unit_test(another_build_is_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
