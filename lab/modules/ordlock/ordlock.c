// SPDX-License-Identifier: GPL-2.0
/*
 * ordlock: AB-BA deadlock of two mutexes. "ordidx_sync" takes idx_lock then tbl_lock;
 * "ordtbl_scan" takes tbl_lock then idx_lock; a third task, "ordstat", queues on
 * tbl_lock behind them.
 */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/mutex.h>
#include <linux/delay.h>
#include <linux/sched.h>

static DEFINE_MUTEX(idx_lock);
static DEFINE_MUTEX(tbl_lock);
static atomic_t ord_both_held = ATOMIC_INIT(0);

static void ord_take_two(struct mutex *first, const char *first_sym,
			 struct mutex *second, const char *second_sym)
{
	mutex_lock(first);
	pr_info("vmlab: lock sym=%s addr=%px kind=mutex owner_pid=%d owner_comm=%s owner_task=%px\n",
		first_sym, first, current->pid, current->comm, current);
	atomic_inc(&ord_both_held);
	while (atomic_read(&ord_both_held) < 2)
		msleep(20);
	msleep(100);
	pr_info("vmlab: waiter sym=%s pid=%d comm=%s task=%px\n", second_sym, current->pid, current->comm, current);
	mutex_lock(second);
	mutex_unlock(second);
	mutex_unlock(first);
}

static int ord_sync_fn(void *arg)
{
	ord_take_two(&idx_lock, "idx_lock", &tbl_lock, "tbl_lock");
	return 0;
}

static int ord_scan_fn(void *arg)
{
	ord_take_two(&tbl_lock, "tbl_lock", &idx_lock, "idx_lock");
	return 0;
}

static int ord_stat_fn(void *arg)
{
	msleep(600);
	pr_info("vmlab: waiter sym=tbl_lock pid=%d comm=%s task=%px\n", current->pid, current->comm, current);
	mutex_lock(&tbl_lock);
	mutex_unlock(&tbl_lock);
	return 0;
}

static int __init ordlock_init(void)
{
	kthread_run(ord_sync_fn, NULL, "ordidx_sync");
	kthread_run(ord_scan_fn, NULL, "ordtbl_scan");
	kthread_run(ord_stat_fn, NULL, "ordstat");
	return 0;
}
module_init(ordlock_init);
MODULE_LICENSE("GPL");
