// SPDX-License-Identifier: MIT
/*
 * Locks: the owner words of each kind decoded bit by bit; cycles found in
 * synthetic wait-for graphs (none, chains, self-loops, chords, disjoint
 * cycles, one long enough to overflow a recursive search); and, on the
 * bundled sample dump, cgroup_mutex and cgroup_threadgroup_rwsem decoded
 * from memory and the deadlock between them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/kernel/locks.h"

#define TASK(n) (0xffff888000100000ull + (uint64_t)(n) * 0x2100)
#define LOCK(n) (0xffffffff82000000ull + (uint64_t)(n) * 0x40)

/* ---- Owner words ------------------------------------------------------ */

static void test_mutex_owner(void **state)
{
	struct kt_owner_word w;
	kt_mutex_owner_decode(0xffff8aab42662101ull, &w);
	assert_int_equal(w.task, 0xffff8aab42662100ull);
	assert_int_equal(w.flags, KT_MUTEX_FLAG_WAITERS);
	assert_true(w.has_waiters);
	kt_mutex_owner_decode(0xffff8aab42662106ull, &w);
	assert_int_equal(w.task, 0xffff8aab42662100ull);
	assert_int_equal(w.flags, KT_MUTEX_FLAG_HANDOFF | KT_MUTEX_FLAG_PICKUP);
	assert_false(w.has_waiters);
	/* Unlocked with waiters being handed the lock: no owner, flag only. */
	kt_mutex_owner_decode(0x1, &w);
	assert_int_equal(w.task, 0);
	assert_true(w.has_waiters);
	kt_mutex_owner_decode(0, &w);
	assert_int_equal(w.task, 0);
	assert_int_equal(w.flags, 0);
}

static void test_rwsem_owner(void **state)
{
	struct kt_owner_word w;
	/* A writer: count has WRITER_LOCKED, owner the task. */
	kt_rwsem_owner_decode(0xffff888003a04200ull, KT_RWSEM_WRITER_LOCKED, &w);
	assert_true(w.writer_locked);
	assert_false(w.reader_owned);
	assert_int_equal(w.task, 0xffff888003a04200ull);
	assert_int_equal(w.readers, 0);
	/* Three readers, waiters queued; the owner word names the last one. */
	kt_rwsem_owner_decode(0xffff888003a04200ull | KT_RWSEM_READER_OWNED,
			      3ull << KT_RWSEM_READER_SHIFT | KT_RWSEM_FLAG_WAITERS, &w);
	assert_false(w.writer_locked);
	assert_true(w.reader_owned);
	assert_true(w.has_waiters);
	assert_int_equal(w.readers, 3);
	assert_int_equal(w.flags, KT_RWSEM_READER_OWNED);
	/* READFAIL is the sign bit, not a reader count. */
	kt_rwsem_owner_decode(KT_RWSEM_READER_OWNED | KT_RWSEM_NONSPINNABLE,
			      KT_RWSEM_FLAG_READFAIL | 1ull << KT_RWSEM_READER_SHIFT, &w);
	assert_int_equal(w.readers, 1);
	assert_int_equal(w.task, 0);
	assert_int_equal(w.flags, KT_RWSEM_READER_OWNED | KT_RWSEM_NONSPINNABLE);
}

static void test_rt_mutex_owner(void **state)
{
	struct kt_owner_word w;
	kt_rt_mutex_owner_decode(0xffff8ede028f0001ull, &w);
	assert_int_equal(w.task, 0xffff8ede028f0000ull);
	assert_true(w.has_waiters);
	/* rt_mutex_corrupt: the word overwritten with just the waiters bit. */
	kt_rt_mutex_owner_decode(0x1, &w);
	assert_int_equal(w.task, 0);
	assert_true(w.has_waiters);
	assert_int_equal(w.flags, KT_RT_MUTEX_HAS_WAITERS);
}

static void test_flag_names(void **state)
{
	char buf[64];
	kt_lock_flag_names(KT_LOCK_MUTEX, 0x7, buf, sizeof(buf));
	assert_string_equal(buf, "WAITERS|HANDOFF|PICKUP");
	kt_lock_flag_names(KT_LOCK_RWSEM, KT_RWSEM_NONSPINNABLE, buf, sizeof(buf));
	assert_string_equal(buf, "NONSPINNABLE");
	kt_lock_flag_names(KT_LOCK_RT_MUTEX, 1, buf, sizeof(buf));
	assert_string_equal(buf, "HAS_WAITERS");
	kt_lock_flag_names(KT_LOCK_MUTEX, 0, buf, sizeof(buf));
	assert_string_equal(buf, "");
	kt_lock_flag_names(KT_LOCK_MUTEX, 0x7, buf, 4); /* truncated, terminated */
	assert_true(strlen(buf) < 4);
}

static void test_kind_names(void **state)
{
	assert_string_equal(kt_lock_kind_name(KT_LOCK_PERCPU_RWSEM), "percpu_rwsem");
	assert_string_equal(kt_lock_kind_name(KT_WAIT_COMPLETION), "completion");
	assert_string_equal(kt_lock_kind_name((enum kt_lock_kind)99), "unknown");
	assert_true(kt_lock_kind_has_owner(KT_LOCK_RT_MUTEX));
	assert_false(kt_lock_kind_has_owner(KT_WAIT_IO));
	assert_string_equal(kt_lock_kind_name(KT_LOCK_SEMAPHORE), "semaphore");
	assert_string_equal(kt_lock_kind_name(KT_LOCK_SPINLOCK), "spinlock");
	assert_string_equal(kt_lock_kind_name(KT_LOCK_RWLOCK), "rwlock");
	/* Locks whose holder is inferred still count as locks, not waits. */
	assert_true(kt_lock_kind_has_owner(KT_LOCK_SEMAPHORE));
	assert_true(kt_lock_kind_infers_holder(KT_LOCK_SPINLOCK));
	assert_false(kt_lock_kind_infers_holder(KT_LOCK_MUTEX));
	assert_true(kt_lock_kind_spins(KT_LOCK_RWLOCK));
	assert_false(kt_lock_kind_spins(KT_LOCK_SEMAPHORE));
	assert_false(kt_lock_kind_has_owner(KT_WAIT_COMPLETION));
}

/* The qspinlock word: locked byte, pending bit, tail = (cpu + 1) << 18 | idx << 16. */
static void test_qspinlock_tail(void **state)
{
	assert_int_equal(kt_qspinlock_tail_cpu(0x1), -1);
	assert_int_equal(kt_qspinlock_tail_cpu(0x101), -1);
	assert_int_equal(kt_qspinlock_tail_cpu(0x40001), 0);
	assert_int_equal(kt_qspinlock_tail_cpu((4u << 18) | (2u << 16) | 1), 3);
	assert_int_equal(kt_qspinlock_tail_cpu(0xffffffffu), (1 << 14) - 2);
}

/* ---- Cycles ----------------------------------------------------------- */

static struct kt_wait_edge edge(int from, int to, int lock)
{
	return (struct kt_wait_edge){ TASK(from), TASK(to), from, to, LOCK(lock) };
}

/* Run the search and check it found exactly the expected cycles. */
struct expected {
	size_t length;
	int pids[4];
	int locks[4];
};

static void expect_cycles(const struct kt_wait_edge *edges, size_t n,
			  const struct expected *want, size_t nr_want)
{
	struct kt_lock_cycle *cycles;
	size_t count;
	struct kt_error *err = kt_wait_cycles(edges, n, &cycles, &count);
	if (err)
		fail_msg("kt_wait_cycles: %s", kt_error_string(err));
	if (count != nr_want)
		fail_msg("found %zu cycles, expected %zu", count, nr_want);
	for (size_t c = 0; c < count; c++) {
		if (cycles[c].length != want[c].length)
			fail_msg("cycle %zu has %zu tasks, expected %zu", c,
				 cycles[c].length, want[c].length);
		for (size_t i = 0; i < want[c].length; i++) {
			if (cycles[c].pids[i] != want[c].pids[i] ||
			    cycles[c].locks[i] != LOCK(want[c].locks[i]) ||
			    cycles[c].tasks[i] != TASK(want[c].pids[i]))
				fail_msg("cycle %zu step %zu: pid %d lock 0x%" PRIx64
					 ", expected pid %d lock 0x%" PRIx64, c, i,
					 cycles[c].pids[i], cycles[c].locks[i],
					 want[c].pids[i], LOCK(want[c].locks[i]));
		}
	}
	kt_lock_cycles_free(cycles, count);
}

static void test_no_edges(void **state)
{
	expect_cycles(NULL, 0, NULL, 0);
}

/* hung_mutex: four waiters on one owner that waits on a completion. */
static void test_chain_is_not_a_cycle(void **state)
{
	const struct kt_wait_edge edges[] = {
		edge(103, 102, 1), edge(104, 102, 1), edge(105, 102, 1),
		edge(107, 102, 1), edge(200, 103, 2), edge(201, 200, 3),
	};
	expect_cycles(edges, sizeof(edges) / sizeof(edges[0]), NULL, 0);
}

/* cgroup_deadlock: 107 holds the rwsem for reading and wants the mutex,
 * 108 holds the mutex and waits for readers; three more wait behind. */
static void test_cgroup_deadlock_shape(void **state)
{
	const struct kt_wait_edge edges[] = {
		edge(108, 107, 1), edge(104, 108, 1), edge(105, 108, 1),
		edge(107, 108, 2), edge(106, 108, 2),
	};
	const struct expected want[] = { { 2, { 107, 108 }, { 2, 1 } } };
	expect_cycles(edges, sizeof(edges) / sizeof(edges[0]), want, 1);
}

/* mutex_lock() on a mutex the task already holds: an AA deadlock. */
static void test_self_loop(void **state)
{
	const struct kt_wait_edge edges[] = { edge(9, 9, 5), edge(10, 9, 5) };
	const struct expected want[] = { { 1, { 9 }, { 5 } } };
	expect_cycles(edges, 2, want, 1);
}

/* 1 -> 2 -> 3 -> 1 with a chord 2 -> 1: the shortest cycle through 1. */
static void test_shortest_cycle_through_lowest_pid(void **state)
{
	const struct kt_wait_edge edges[] = {
		edge(3, 1, 3), edge(1, 2, 1), edge(2, 3, 2), edge(2, 1, 4),
	};
	const struct expected want[] = { { 2, { 1, 2 }, { 1, 4 } } };
	expect_cycles(edges, 4, want, 1);
}

static void test_three_cycle_order(void **state)
{
	const struct kt_wait_edge edges[] = {
		edge(30, 10, 3), edge(20, 30, 2), edge(10, 20, 1),
	};
	const struct expected want[] = { { 3, { 10, 20, 30 }, { 1, 2, 3 } } };
	expect_cycles(edges, 3, want, 1);
}

static void test_two_disjoint_cycles(void **state)
{
	const struct kt_wait_edge edges[] = {
		edge(50, 51, 7), edge(51, 50, 8), edge(5, 6, 1), edge(6, 5, 2),
		edge(52, 50, 7), /* a tail into the second cycle */
	};
	const struct expected want[] = {
		{ 2, { 5, 6 }, { 1, 2 } },
		{ 2, { 50, 51 }, { 7, 8 } },
	};
	expect_cycles(edges, 5, want, 2);
}

/* Two tasks waiting on each other through two different locks each. */
static void test_parallel_edges(void **state)
{
	const struct kt_wait_edge edges[] = {
		edge(1, 2, 1), edge(1, 2, 2), edge(2, 1, 3),
	};
	struct kt_lock_cycle *cycles;
	size_t count;
	assert_null(kt_wait_cycles(edges, 3, &cycles, &count));
	assert_int_equal(count, 1);
	assert_int_equal(cycles[0].length, 2);
	assert_int_equal(cycles[0].pids[0], 1);
	assert_int_equal(cycles[0].locks[1], LOCK(3));
	kt_lock_cycles_free(cycles, count);
}

/* 200000 tasks in one ring: a recursive search would overflow the stack. */
static void test_long_ring(void **state)
{
	size_t n = 200000;
	struct kt_wait_edge *edges = calloc(n + 1, sizeof(*edges));
	assert_non_null(edges);
	for (size_t i = 0; i < n; i++)
		edges[i] = edge((int)i + 1, (int)((i + 1) % n) + 1, (int)i);
	edges[n] = edge((int)n + 7, 1, 0); /* and one waiter outside it */
	struct kt_lock_cycle *cycles;
	size_t count;
	assert_null(kt_wait_cycles(edges, n + 1, &cycles, &count));
	assert_int_equal(count, 1);
	assert_int_equal(cycles[0].length, n);
	for (size_t i = 0; i < n; i++)
		if (cycles[0].pids[i] != (int32_t)i + 1)
			fail_msg("step %zu: pid %d", i, cycles[0].pids[i]);
	kt_lock_cycles_free(cycles, count);
	free(edges);
}

/* ---- The sample dump -------------------------------------------------- */

#include "sample.h"

static struct kt_lock *decode_symbol(struct kt_kernel *k, const char *name,
				     enum kt_lock_kind kind)
{
	uint64_t address;
	struct kt_error *err = kt_symbol_address(k, name, &address);
	if (err)
		fail_msg("%s: %s", name, kt_error_string(err));
	struct kt_lock *lock;
	err = kt_lock_decode(k, address, kind, &lock);
	if (err)
		fail_msg("%s: %s", name, kt_error_string(err));
	assert_string_equal(lock->symbol, name);
	return lock;
}

/* The manifest: runc (108) owns cgroup_mutex; 107, then 106 wait. */
static void test_sample_cgroup_mutex(void **state)
{
	struct kt_kernel *k = ((struct sample *)*state)->kernel;
	struct kt_lock *lock = decode_symbol(k, "cgroup_mutex", KT_LOCK_MUTEX);
	assert_int_equal(lock->owner_pid, 108);
	assert_int_equal(lock->owner_word & ~KT_MUTEX_FLAGS, lock->owner);
	assert_int_equal(lock->flags, KT_MUTEX_FLAG_WAITERS);
	assert_false(lock->corrupt);
	assert_int_equal(lock->nr_waiters, 2);
	assert_int_equal(lock->waiters[0].pid, 107);
	assert_int_equal(lock->waiters[1].pid, 106);
	assert_true(lock->waiters[0].in_list);
	kt_lock_free(lock);
}

/* 108 waits to write with block held; 104 and 105 queue to read; one
 * reader (107) still holds it. */
static void test_sample_threadgroup_rwsem(void **state)
{
	struct kt_kernel *k = ((struct sample *)*state)->kernel;
	struct kt_lock *lock = decode_symbol(k, "cgroup_threadgroup_rwsem",
					     KT_LOCK_PERCPU_RWSEM);
	assert_int_equal(lock->readers, 1);
	assert_int_equal(lock->count, 1); /* block */
	assert_int_equal(lock->owner_pid, -1);
	assert_int_equal(lock->nr_waiters, 3);
	int32_t want[] = { 108, 104, 105 };
	bool writer[] = { true, false, false };
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(lock->waiters[i].pid, want[i]);
		assert_int_equal(lock->waiters[i].writer, writer[i]);
	}
	kt_lock_free(lock);
}

static void test_sample_graph(void **state)
{
	struct kt_kernel *k = ((struct sample *)*state)->kernel;
	struct kt_lock_graph *g;
	struct kt_error *err = kt_lock_graph(k, &g);
	if (err)
		fail_msg("kt_lock_graph: %s", kt_error_string(err));
	const struct kt_lock_graph_view v = kt_lock_graph_view(g);
	assert_int_equal(v.nr_locks, 2);
	assert_int_equal(v.nr_cycles, 1);
	assert_int_equal(v.cycles[0].length, 2);
	assert_int_equal(v.cycles[0].pids[0], 107);
	assert_int_equal(v.cycles[0].pids[1], 108);
	uint64_t mutex, rwsem;
	assert_null(kt_symbol_address(k, "cgroup_mutex", &mutex));
	assert_null(kt_symbol_address(k, "cgroup_threadgroup_rwsem", &rwsem));
	assert_int_equal(v.cycles[0].locks[0], mutex);
	assert_int_equal(v.cycles[0].locks[1], rwsem);
	for (size_t i = 0; i < v.nr_locks; i++)
		if (v.locks[i]->kind == KT_LOCK_PERCPU_RWSEM &&
		    (v.locks[i]->nr_readers != 1 || v.locks[i]->reader_pids[0] != 107))
			fail_msg("readers of cgroup_threadgroup_rwsem: %zu", v.locks[i]->nr_readers);
	kt_lock_graph_free(g);
}

/* A lock in the heap: kubelet's mmap_lock, an idle rw_semaphore named by
 * the object that contains it (the mm_struct slab cache, its owner). */
static void test_sample_heap_rwsem(void **state)
{
	struct kt_kernel *k = ((struct sample *)*state)->kernel;
	const struct kt_task *kubelet = kt_task_by_pid(k, 104);
	assert_non_null(kubelet);
	uint64_t mm, offset;
	assert_null(kt_read_member_u64(k, kubelet->address, "struct task_struct", "mm", &mm));
	assert_null(kt_type_offsetof(k, "struct mm_struct", "mmap_lock", &offset));
	struct kt_lock *lock;
	struct kt_error *err = kt_lock_decode(k, mm + offset, KT_LOCK_RWSEM, &lock);
	if (err)
		fail_msg("mmap_lock: %s", kt_error_string(err));
	assert_false(lock->corrupt);
	assert_int_equal(lock->nr_waiters, 0);
	assert_true(lock->readers >= 0);
	assert_string_equal(lock->symbol, "mmap_lock of mm_struct of pid 104 (kubelet)");
	kt_lock_free(lock);
}

/* An inode lock is named by its inode and path: kubelet's working directory,
 * the root of the initramfs, found through task->fs->pwd. */
static void test_sample_inode_lock(void **state)
{
	struct kt_kernel *k = ((struct sample *)*state)->kernel;
	const struct kt_task *kubelet = kt_task_by_pid(k, 104);
	assert_non_null(kubelet);
	uint64_t fs, dentry, inode, offset;
	assert_null(kt_read_member_u64(k, kubelet->address, "struct task_struct", "fs", &fs));
	assert_null(kt_read_member_u64(k, fs, "struct fs_struct", "pwd.dentry", &dentry));
	assert_null(kt_read_member_u64(k, dentry, "struct dentry", "d_inode", &inode));
	assert_null(kt_type_offsetof(k, "struct inode", "i_rwsem", &offset));
	struct kt_lock_layout l;
	kt_lock_layout_load(k, &l);
	char name[192];
	kt_lock_name(k, &l, inode + offset, name, sizeof(name));
	print_message("named: %s\n", name);
	assert_non_null(strstr(name, "i_rwsem of inode "));
	assert_non_null(strstr(name, "(/)"));
}

/* 0x1 (rt_mutex_corrupt's owner word) and its kin are not task pointers. */
static void test_sample_plausible_task(void **state)
{
	struct kt_kernel *k = ((struct sample *)*state)->kernel;
	const struct kt_task *kubelet = kt_task_by_pid(k, 104);
	assert_non_null(kubelet);
	assert_true(kt_plausible_task_pointer(k, kubelet->address));
	assert_false(kt_plausible_task_pointer(k, 0x1));
	assert_false(kt_plausible_task_pointer(k, 0));
	assert_false(kt_plausible_task_pointer(k, 0xdead000000000100ull)); /* LIST_POISON1 */
	assert_false(kt_plausible_task_pointer(k, kubelet->address + 8));
	assert_false(kt_plausible_task_pointer(k, 0x00007ffe01d9b980ull)); /* user */
	uint64_t text;
	assert_null(kt_symbol_address(k, "schedule", &text));
	assert_false(kt_plausible_task_pointer(k, text & ~63ull));
}

static void test_sample_not_a_lock(void **state)
{
	struct kt_kernel *k = ((struct sample *)*state)->kernel;
	struct kt_lock *lock;
	struct kt_error *err = kt_lock_decode(k, 0xffffffff81000000ull,
					      KT_WAIT_COMPLETION, &lock);
	assert_non_null(err);
	assert_int_equal(err->code, KT_ERR_USAGE);
	kt_error_free(err);
	/* An address with nothing behind it: an error naming it, no crash. */
	err = kt_lock_decode(k, 0x10, KT_LOCK_MUTEX, &lock);
	assert_non_null(err);
	assert_non_null(strstr(kt_error_string(err), "0x10"));
	kt_error_free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mutex_owner),
		cmocka_unit_test(test_rwsem_owner),
		cmocka_unit_test(test_rt_mutex_owner),
		cmocka_unit_test(test_flag_names),
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_qspinlock_tail),
		cmocka_unit_test(test_no_edges),
		cmocka_unit_test(test_chain_is_not_a_cycle),
		cmocka_unit_test(test_cgroup_deadlock_shape),
		cmocka_unit_test(test_self_loop),
		cmocka_unit_test(test_shortest_cycle_through_lowest_pid),
		cmocka_unit_test(test_three_cycle_order),
		cmocka_unit_test(test_two_disjoint_cycles),
		cmocka_unit_test(test_parallel_edges),
		cmocka_unit_test(test_long_ring),
	};
	const struct CMUnitTest sample_tests[] = {
		cmocka_unit_test(test_sample_cgroup_mutex),
		cmocka_unit_test(test_sample_threadgroup_rwsem),
		cmocka_unit_test(test_sample_graph),
		cmocka_unit_test(test_sample_heap_rwsem),
		cmocka_unit_test(test_sample_inode_lock),
		cmocka_unit_test(test_sample_plausible_task),
		cmocka_unit_test(test_sample_not_a_lock),
	};
	int failed = cmocka_run_group_tests_name("locks", tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("locks on the sample dump", sample_tests,
					      sample_open, sample_close);
	return failed ? 1 : 0;
}
