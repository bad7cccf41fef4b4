// SPDX-License-Identifier: GPL-2.0
/*
 * podlock: the cgroup lock inversion, through the kernel's real cgroup_mutex and
 * cgroup_threadgroup_rwsem (not exported: found with kallsyms_lookup_name, itself found
 * through a kprobe). Neither side has a cgroup frame on its stack: both take the locks from
 * this module, as an out-of-tree agent would.
 *
 *  /proc/podlock_enter (written by "podagent"):
 *        percpu_down_read(rwsem); wait for the mover; mutex_lock(cgroup_mutex)
 *  /proc/podlock_move  (written by "cgmover"):
 *        wait for the reader; mutex_lock(cgroup_mutex); 500 ms; percpu_down_write(rwsem)
 * The reader blocks first, so it is the first (and with hung_task_warnings=1 the only) task
 * the hung-task detector reports: one task in __mutex_lock called from a module.
 */
#include <linux/module.h>
#include <linux/kprobes.h>
#include <linux/mutex.h>
#include <linux/percpu-rwsem.h>
#include <linux/proc_fs.h>
#include <linux/delay.h>
#include <linux/sched.h>

static struct mutex *pl_cgroup_mutex;
static struct percpu_rw_semaphore *pl_tg_rwsem;
static atomic_t reader_holds = ATOMIC_INIT(0);
static atomic_t mover_holds = ATOMIC_INIT(0);

typedef unsigned long (*kln_fn)(const char *);

static unsigned long pl_lookup(const char *name)
{
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	kln_fn kln;

	if (register_kprobe(&kp) < 0)
		return 0;
	kln = (kln_fn)kp.addr;
	unregister_kprobe(&kp);
	return kln(name);
}

static ssize_t pl_move_write(struct file *f, const char __user *buf, size_t len, loff_t *off)
{
	while (!atomic_read(&reader_holds))
		msleep(20);
	mutex_lock(pl_cgroup_mutex);
	pr_info("vmlab: lock sym=cgroup_mutex addr=%px kind=mutex owner_pid=%d owner_comm=%s owner_task=%px\n",
		pl_cgroup_mutex, current->pid, current->comm, current);
	atomic_set(&mover_holds, 1);
	msleep(500);	/* the reader blocks first */
	pr_info("vmlab: waiter sym=cgroup_threadgroup_rwsem mode=write pid=%d comm=%s task=%px\n",
		current->pid, current->comm, current);
	percpu_down_write(pl_tg_rwsem);
	percpu_up_write(pl_tg_rwsem);
	mutex_unlock(pl_cgroup_mutex);
	return len;
}

static ssize_t pl_enter_write(struct file *f, const char __user *buf, size_t len, loff_t *off)
{
	percpu_down_read(pl_tg_rwsem);
	pr_info("vmlab: lock sym=cgroup_threadgroup_rwsem addr=%px kind=percpu_rwsem reader_pid=%d reader_comm=%s reader_task=%px\n",
		pl_tg_rwsem, current->pid, current->comm, current);
	atomic_set(&reader_holds, 1);
	while (!atomic_read(&mover_holds))
		msleep(20);
	pr_info("vmlab: waiter sym=cgroup_mutex pid=%d comm=%s task=%px\n", current->pid, current->comm, current);
	mutex_lock(pl_cgroup_mutex);
	mutex_unlock(pl_cgroup_mutex);
	percpu_up_read(pl_tg_rwsem);
	return len;
}

static const struct proc_ops pl_move_ops = { .proc_write = pl_move_write };
static const struct proc_ops pl_enter_ops = { .proc_write = pl_enter_write };

static int __init podlock_init(void)
{
	pl_cgroup_mutex = (struct mutex *)pl_lookup("cgroup_mutex");
	pl_tg_rwsem = (struct percpu_rw_semaphore *)pl_lookup("cgroup_threadgroup_rwsem");
	if (!pl_cgroup_mutex || !pl_tg_rwsem) {
		pr_err("podlock: symbol lookup failed\n");
		return -ENOENT;
	}
	pr_info("vmlab: sym cgroup_mutex=%px cgroup_threadgroup_rwsem=%px\n", pl_cgroup_mutex, pl_tg_rwsem);
	proc_create("podlock_enter", 0200, NULL, &pl_enter_ops);
	proc_create("podlock_move", 0200, NULL, &pl_move_ops);
	return 0;
}
module_init(podlock_init);
MODULE_LICENSE("GPL");
