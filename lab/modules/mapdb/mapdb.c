// SPDX-License-Identifier: GPL-2.0
/*
 * mapdb: an rw_semaphore held for write by a task that waits on a lost completion.
 * "mapdb_commit" takes map_rwsem with down_write() and waits for a journal completion
 * that is never signalled; "mapdb_rd/0..1" and a userspace "mapctl" queue in
 * down_read().
 */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/rwsem.h>
#include <linux/completion.h>
#include <linux/proc_fs.h>
#include <linux/delay.h>
#include <linux/sched.h>

static DECLARE_RWSEM(map_rwsem);
static DECLARE_COMPLETION(map_write_locked);
static DECLARE_COMPLETION(map_journal_done);	/* never completed */

static int map_commit_fn(void *arg)
{
	down_write(&map_rwsem);
	pr_info("vmlab: lock sym=map_rwsem addr=%px kind=rwsem owner_pid=%d owner_comm=%s owner_task=%px\n",
		&map_rwsem, current->pid, current->comm, current);
	complete(&map_write_locked);
	wait_for_completion(&map_journal_done);
	up_write(&map_rwsem);
	return 0;
}

static int map_reader_fn(void *arg)
{
	long id = (long)arg;

	msleep(200 + 100 * id);
	pr_info("vmlab: waiter sym=map_rwsem mode=read pid=%d comm=%s task=%px\n",
		current->pid, current->comm, current);
	down_read(&map_rwsem);
	up_read(&map_rwsem);
	while (!kthread_should_stop())
		msleep_interruptible(1000);
	return 0;
}

static ssize_t map_write(struct file *f, const char __user *buf, size_t len, loff_t *off)
{
	pr_info("vmlab: waiter sym=map_rwsem mode=read pid=%d comm=%s task=%px\n",
		current->pid, current->comm, current);
	down_read(&map_rwsem);
	up_read(&map_rwsem);
	return len;
}

static const struct proc_ops map_pops = { .proc_write = map_write };

static int __init mapdb_init(void)
{
	long i;

	proc_create("mapdb", 0200, NULL, &map_pops);
	kthread_run(map_commit_fn, NULL, "mapdb_commit");
	wait_for_completion(&map_write_locked);
	for (i = 0; i < 2; i++)
		kthread_run(map_reader_fn, (void *)i, "mapdb_rd/%ld", i);
	return 0;
}
module_init(mapdb_init);
MODULE_LICENSE("GPL");
