// SPDX-License-Identifier: MIT
/*
 * Tasks: the state letters for every TASK_* combination the kernel uses,
 * in both bit layouts; the list walk on synthetic lists that end, loop,
 * break or never end; and, on the bundled sample dump, the task list's
 * lookups (by pid, by address, what each CPU ran, the runqueue clock).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/kernel/layouts.h"

/* ---- States ---------------------------------------------------------- */

struct state_case {
	uint64_t state, exit_state;
	const char *name;
};

static void check_states(unsigned major, unsigned minor,
			 const struct state_case *cases, size_t n)
{
	struct kt_task_state_bits bits;
	kt_task_state_bits_for(major, minor, &bits);
	for (size_t i = 0; i < n; i++) {
		const char *got = kt_task_state_name(
			kt_task_state_decode(&bits, cases[i].state, cases[i].exit_state));
		if (strcmp(got, cases[i].name) != 0)
			fail_msg("%u.%u: __state 0x%" PRIx64 " exit_state 0x%" PRIx64
				 ": got %s, expected %s", major, minor,
				 cases[i].state, cases[i].exit_state, got,
				 cases[i].name);
	}
}

/* include/linux/sched.h of 6.1 and fs/proc/array.c's reporting. */
static void test_states_6_1(void **state)
{
	static const struct state_case cases[] = {
		{ 0x0, 0, "RU" },
		{ 0x1, 0, "IN" },             /* TASK_INTERRUPTIBLE */
		{ 0x2001, 0, "IN" },          /* ... | TASK_FREEZABLE */
		{ 0x2, 0, "UN" },             /* TASK_UNINTERRUPTIBLE */
		{ 0x102, 0, "UN" },           /* TASK_KILLABLE */
		{ 0x402, 0, "ID" },           /* TASK_IDLE */
		{ 0x2402, 0, "ID" },          /* TASK_IDLE | TASK_FREEZABLE */
		{ 0x400, 0, "RU" },           /* NOLOAD alone is not idle */
		{ 0x104, 0, "ST" },           /* TASK_STOPPED */
		{ 0x8, 0, "TR" },             /* TASK_TRACED */
		{ 0x40, 0, "PA" },            /* TASK_PARKED */
		{ 0x80, 0x20, "ZO" },         /* TASK_DEAD, EXIT_ZOMBIE */
		{ 0x0, 0x20, "ZO" },
		{ 0x80, 0x10, "DE" },         /* TASK_DEAD, EXIT_DEAD */
		{ 0x80, 0, "DE" },
		{ 0x200, 0, "WA" },           /* TASK_WAKING */
		{ 0x800, 0, "NE" },           /* TASK_NEW */
		{ 0x1000, 0, "UN" },          /* TASK_RTLOCK_WAIT */
		{ 0x8000, 0, "RU" },          /* TASK_FROZEN: /proc says R */
		{ 0x1, 0x20, "ZO" },          /* the highest reported bit wins */
	};
	check_states(6, 1, cases, sizeof(cases) / sizeof(cases[0]));
}

/* Before 4.14: DEAD 0x40, WAKEKILL 0x80, WAKING 0x100, PARKED 0x200. */
static void test_states_before_4_14(void **state)
{
	static const struct state_case cases[] = {
		{ 0x0, 0, "RU" },
		{ 0x1, 0, "IN" },
		{ 0x82, 0, "UN" },            /* TASK_KILLABLE */
		{ 0x402, 0, "ID" },
		{ 0x84, 0, "ST" },
		{ 0x88, 0, "TR" },
		{ 0x200, 0, "PA" },
		{ 0x40, 0x20, "ZO" },
		{ 0x40, 0, "DE" },
		{ 0x100, 0, "WA" },
		{ 0x800, 0, "NE" },
		{ 0x1000, 0, "RU" },          /* no RTLOCK_WAIT yet */
	};
	check_states(4, 9, cases, sizeof(cases) / sizeof(cases[0]));
	check_states(3, 10, cases, sizeof(cases) / sizeof(cases[0]));
}

/* 4.14 to 5.14: the new layout, but no RTLOCK_WAIT. */
static void test_states_4_14(void **state)
{
	static const struct state_case cases[] = {
		{ 0x40, 0, "PA" },
		{ 0x80, 0, "DE" },
		{ 0x200, 0, "WA" },
		{ 0x1000, 0, "RU" },
	};
	check_states(4, 14, cases, sizeof(cases) / sizeof(cases[0]));
	check_states(5, 14, cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_state_names(void **state)
{
	static const char *const names[] = { "RU", "IN", "UN", "ID", "ST", "TR",
					     "ZO", "DE", "PA", "NE", "WA", "??" };
	for (int s = KT_TASK_RUNNING; s <= KT_TASK_UNKNOWN; s++)
		assert_string_equal(kt_task_state_name((enum kt_task_state)s),
				    names[s]);
	assert_string_equal(kt_task_state_name((enum kt_task_state)99), "??");
	assert_string_equal(kt_task_state_name((enum kt_task_state)-1), "??");
}

/* ---- List walks on synthetic memory ---------------------------------- */

/* A memory of pointers: next[i] is the word at address BASE + 8 * i. */
#define BASE 0x10000ull
struct memory {
	uint64_t *next;
	size_t words;
	size_t reads;
};

static struct kt_error *memory_read(void *context, uint64_t address,
				    uint64_t *value)
{
	struct memory *m = context;
	m->reads++;
	if (address < BASE || address % 8 || (address - BASE) / 8 >= m->words)
		return kt_error_create(KT_ERR_FAULT, "0x%" PRIx64 " is not mapped",
				       address);
	*value = m->next[(address - BASE) / 8];
	return NULL;
}

static uint64_t at(size_t i)
{
	return BASE + 8 * i;
}

/* A ring head(0) -> 1 -> ... -> n -> head. */
static struct memory *ring(size_t n)
{
	struct memory *m = calloc(1, sizeof(*m));
	assert_non_null(m);
	m->words = n + 1;
	m->next = calloc(m->words, sizeof(*m->next));
	assert_non_null(m->next);
	for (size_t i = 0; i <= n; i++)
		m->next[i] = at((i + 1) % (n + 1));
	return m;
}

static void memory_free(struct memory *m)
{
	free(m->next);
	free(m);
}

/* Walk; the entries' indices in got[], and the error message or NULL. */
static char *walk(struct memory *m, size_t limit, size_t *got, size_t max,
		  size_t *count)
{
	struct kt_list_walk w;
	kt_list_walk_init(&w, memory_read, m, at(0), limit);
	uint64_t entry;
	struct kt_error *err;
	*count = 0;
	while (!(err = kt_list_walk_next(&w, &entry)) && entry) {
		if (*count < max)
			got[*count] = (size_t)((entry - BASE) / 8);
		++*count;
		assert_true(*count <= m->words + 1); /* never more than there is */
	}
	/* A finished walk stays finished. */
	assert_null(kt_list_walk_next(&w, &entry));
	assert_int_equal(entry, 0);
	kt_list_walk_destroy(&w);
	char *message = err ? strdup(kt_error_string(err)) : NULL;
	kt_error_free(err);
	return message;
}

static void expect_error(const char *message, const char *part)
{
	if (!message)
		fail_msg("expected an error with \"%s\", the walk ended cleanly", part);
	if (!strstr(message, part))
		fail_msg("error \"%s\" does not say \"%s\"", message, part);
}

static void test_walk_ring(void **state)
{
	struct memory *m = ring(5);
	size_t got[8], count;
	char *err = walk(m, 0, got, 8, &count);
	if (err)
		fail_msg("clean ring: %s", err);
	assert_int_equal(count, 5);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(got[i], i + 1);
	memory_free(m);
}

static void test_walk_empty(void **state)
{
	struct memory *m = ring(0);
	size_t got[1], count;
	char *err = walk(m, 0, got, 1, &count);
	assert_null(err);
	assert_int_equal(count, 0);
	memory_free(m);
}

/* head -> 1 -> 2 -> 3 -> 2: the loop misses the head. */
static void test_walk_loop(void **state)
{
	struct memory *m = ring(3);
	m->next[3] = at(2);
	size_t got[8], count;
	char *err = walk(m, 0, got, 8, &count);
	expect_error(err, "loops");
	expect_error(err, "0x10010"); /* the entry that came round */
	assert_int_equal(count, 3);
	free(err);
	memory_free(m);
}

static void test_walk_self_loop(void **state)
{
	struct memory *m = ring(2);
	m->next[1] = at(1);
	size_t got[8], count;
	char *err = walk(m, 0, got, 8, &count);
	expect_error(err, "loops");
	assert_int_equal(count, 1);
	free(err);
	memory_free(m);
}

static void test_walk_bad_pointers(void **state)
{
	static const struct {
		uint64_t next;
		const char *error;
	} cases[] = {
		{ 0, "next pointer 0x0" },
		{ BASE + 8 * 2 + 3, "next pointer 0x10013" },
		{ 0xdead0000, "not mapped" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct memory *m = ring(4);
		m->next[2] = cases[i].next;
		size_t got[8], count;
		char *err = walk(m, 0, got, 8, &count);
		expect_error(err, cases[i].error);
		expect_error(err, "list at 0x10000");
		/* Entries 1 and 2 were good; a bad pointer yields nothing. */
		assert_int_equal(count, 2);
		free(err);
		memory_free(m);
	}
}

static void test_walk_unreadable_head(void **state)
{
	struct memory *m = ring(1);
	m->words = 0;
	size_t got[1], count;
	char *err = walk(m, 0, got, 1, &count);
	expect_error(err, "not mapped");
	assert_int_equal(count, 0);
	free(err);
	memory_free(m);
}

static void test_walk_limit(void **state)
{
	struct memory *m = ring(100);
	size_t got[128], count;
	char *err = walk(m, 10, got, 128, &count);
	expect_error(err, "more than 10 entries");
	assert_int_equal(count, 10);
	free(err);
	assert_null(err = walk(m, 100, got, 128, &count));
	assert_int_equal(count, 100);
	memory_free(m);
}

/* Long lists grow the set of seen entries many times over. */
static void test_walk_long(void **state)
{
	size_t n = 200000;
	struct memory *m = ring(n);
	m->next[n] = at(n / 2); /* loops back half way */
	size_t got[1], count;
	char *err = walk(m, 0, got, 1, &count);
	expect_error(err, "loops");
	assert_int_equal(count, n);
	assert_true(m->reads <= n + 2);
	free(err);
	memory_free(m);
}

/* ---- The sample dump -------------------------------------------------- */

#include "sample.h"

static void test_sample_lookups(void **state)
{
	struct kt_kernel *k = ((struct sample *)*state)->kernel;
	const struct kt_task *tasks;
	size_t count;
	struct kt_error *err = kt_tasks(k, &tasks, &count);
	if (err)
		fail_msg("kt_tasks: %s", kt_error_string(err));
	assert_true(count > 2);
	/* The idle tasks first, one per present CPU, then by pid. */
	assert_int_equal(tasks[0].pid, 0);
	assert_true(tasks[0].is_idle);
	assert_string_equal(tasks[0].comm, "swapper/0");
	for (size_t i = 1; i < count; i++)
		if (tasks[i].pid < tasks[i - 1].pid ||
		    (tasks[i].pid == 0) != tasks[i].is_idle)
			fail_msg("task %zu (pid %d) out of order or idle wrongly", i,
				 tasks[i].pid);
	/* Cached: the same array again. */
	const struct kt_task *again;
	assert_null(kt_tasks(k, &again, &count));
	assert_ptr_equal(again, tasks);
	for (size_t i = 0; i < count; i++) {
		const struct kt_task *t = &tasks[i];
		assert_ptr_equal(kt_task_by_address(k, t->address), t);
		if (t->pid)
			assert_ptr_equal(kt_task_by_pid(k, t->pid), t);
		assert_true(t->cpu >= 0 && (unsigned)t->cpu < kt_kernel_nr_cpus(k));
		assert_true(t->stack && t->saved_sp);
	}
	assert_ptr_equal(kt_task_by_pid(k, 0), &tasks[0]);
	assert_null(kt_task_by_pid(k, 1 << 30));
	assert_null(kt_task_by_address(k, 0));
}

/* The manifest: khungtaskd (pid 29) ran on CPU 0; kubelet (104) was
 * blocked for more than 8 s when the dump was taken. */
static void test_sample_current_and_clock(void **state)
{
	struct kt_kernel *k = ((struct sample *)*state)->kernel;
	const struct kt_task *curr = kt_task_current(k, 0);
	assert_non_null(curr);
	assert_int_equal(curr->pid, 29);
	assert_true(curr->on_cpu);
	assert_null(kt_task_current(k, kt_kernel_nr_cpus(k)));
	const struct kt_task *kubelet = kt_task_by_pid(k, 104);
	assert_non_null(kubelet);
	assert_string_equal(kubelet->comm, "kubelet");
	assert_int_equal(kubelet->state, KT_TASK_UNINTERRUPTIBLE);
	assert_false(kubelet->is_kernel_thread);
	uint64_t clock;
	assert_null(kt_cpu_clock(k, (unsigned)kubelet->cpu, &clock));
	if (clock < kubelet->last_arrival ||
	    clock - kubelet->last_arrival < 8000000000ull)
		fail_msg("kubelet blocked for %" PRIu64 " ns, the dump's log says > 8 s",
			 clock - kubelet->last_arrival);
	struct kt_error *err = kt_cpu_clock(k, kt_kernel_nr_cpus(k), &clock);
	assert_non_null(err);
	kt_error_free(err);
}

/* The TASK_* bits read from the kernel's own task_state_array are the
 * ones its version has; the layouts are built once and agree with the
 * types they came from. */
static void test_sample_state_bits_and_layouts(void **state)
{
	struct kt_kernel *k = ((struct sample *)*state)->kernel;
	struct kt_task_state_bits table, version;
	assert_true(kt_task_state_bits_of(k, &table));
	unsigned major, minor;
	assert_int_equal(sscanf(kt_kernel_release(k), "%u.%u", &major, &minor), 2);
	kt_task_state_bits_for(major, minor, &version);
	assert_memory_equal(&table, &version, sizeof(table));

	uint64_t next, prev;
	assert_null(kt_type_offsetof(k, "struct list_head", "next", &next));
	assert_null(kt_type_offsetof(k, "struct list_head", "prev", &prev));
	struct kt_list_head_layout lh = kt_layouts_list_head(k);
	assert_int_equal(lh.next, next);
	assert_int_equal(lh.prev, prev);

	static const char *const names[] = { "ip", "sp", "no_such_register" };
	const struct kt_regs_layout *regs = kt_layouts_pt_regs(k, names, 3);
	assert_ptr_equal(kt_layouts_pt_regs(k, names, 3), regs);
	uint64_t ip;
	assert_null(kt_type_offsetof(k, "struct pt_regs", "ip", &ip));
	assert_true(regs->found[0] && regs->found[1] && !regs->found[2]);
	assert_int_equal(regs->offset[0], ip);
	assert_true(kt_layouts_orc_module(k)->ok);
	assert_ptr_equal(kt_layouts_lock(k), kt_layouts_lock(k));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_states_6_1),
		cmocka_unit_test(test_states_before_4_14),
		cmocka_unit_test(test_states_4_14),
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_walk_ring),
		cmocka_unit_test(test_walk_empty),
		cmocka_unit_test(test_walk_loop),
		cmocka_unit_test(test_walk_self_loop),
		cmocka_unit_test(test_walk_bad_pointers),
		cmocka_unit_test(test_walk_unreadable_head),
		cmocka_unit_test(test_walk_limit),
		cmocka_unit_test(test_walk_long),
	};
	const struct CMUnitTest sample_tests[] = {
		cmocka_unit_test(test_sample_lookups),
		cmocka_unit_test(test_sample_current_and_clock),
		cmocka_unit_test(test_sample_state_bits_and_layouts),
	};
	int failed = cmocka_run_group_tests_name("tasks", tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("tasks on the sample dump",
					      sample_tests, sample_open,
					      sample_close);
	return failed;
}
