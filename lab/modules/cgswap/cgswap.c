// SPDX-License-Identifier: GPL-2.0
/*
 * cgswap: the cgroup lock-order inversion with the kernel's real cgroup_mutex and
 * cgroup_threadgroup_rwsem (not exported: their addresses come from
 * kallsyms_lookup_name, found through a kprobe).
 *  /proc/cgswap_move  (written by "ctr-init"): mutex_lock(cgroup_mutex), then
 *                     percpu_down_write(cgroup_threadgroup_rwsem)
 *  /proc/cgswap_spawn (written by "podmgr"):   percpu_down_read(cgroup_threadgroup_rwsem),
 *                     then mutex_lock(cgroup_mutex)
 */
#include <linux/module.h>
#include <linux/kprobes.h>
#include <linux/mutex.h>
#include <linux/percpu-rwsem.h>
#include <linux/proc_fs.h>
#include <linux/delay.h>
#include <linux/sched.h>

static struct mutex *cgs_mutex;
static struct percpu_rw_semaphore *cgs_rwsem;
static atomic_t cgs_reader_in = ATOMIC_INIT(0);
static atomic_t cgs_mutex_held = ATOMIC_INIT(0);

typedef unsigned long (*cgs_lookup_t)(const char *);

static unsigned long cgs_lookup(const char *name)
{
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	cgs_lookup_t fn;

	if (register_kprobe(&kp) < 0)
		return 0;
	fn = (cgs_lookup_t)kp.addr;
	unregister_kprobe(&kp);
	return fn(name);
}

static ssize_t cgs_move_write(struct file *f, const char __user *buf, size_t len, loff_t *off)
{
	while (!atomic_read(&cgs_reader_in))
		msleep(20);
	mutex_lock(cgs_mutex);
	pr_info("vmlab: lock sym=cgroup_mutex addr=%px kind=mutex owner_pid=%d owner_comm=%s owner_task=%px\n",
		cgs_mutex, current->pid, current->comm, current);
	atomic_set(&cgs_mutex_held, 1);
	pr_info("vmlab: waiter sym=cgroup_threadgroup_rwsem mode=write pid=%d comm=%s task=%px\n",
		current->pid, current->comm, current);
	percpu_down_write(cgs_rwsem);
	percpu_up_write(cgs_rwsem);
	mutex_unlock(cgs_mutex);
	return len;
}

static ssize_t cgs_spawn_write(struct file *f, const char __user *buf, size_t len, loff_t *off)
{
	percpu_down_read(cgs_rwsem);
	pr_info("vmlab: lock sym=cgroup_threadgroup_rwsem addr=%px kind=percpu_rwsem reader_pid=%d reader_comm=%s reader_task=%px\n",
		cgs_rwsem, current->pid, current->comm, current);
	atomic_set(&cgs_reader_in, 1);
	while (!atomic_read(&cgs_mutex_held))
		msleep(20);
	msleep(300);	/* let the writer reach percpu_down_write() */
	pr_info("vmlab: waiter sym=cgroup_mutex pid=%d comm=%s task=%px\n", current->pid, current->comm, current);
	mutex_lock(cgs_mutex);
	mutex_unlock(cgs_mutex);
	percpu_up_read(cgs_rwsem);
	return len;
}

static const struct proc_ops cgs_move_pops = { .proc_write = cgs_move_write };
static const struct proc_ops cgs_spawn_pops = { .proc_write = cgs_spawn_write };

static int __init cgswap_init(void)
{
	cgs_mutex = (struct mutex *)cgs_lookup("cgroup_mutex");
	cgs_rwsem = (struct percpu_rw_semaphore *)cgs_lookup("cgroup_threadgroup_rwsem");
	if (!cgs_mutex || !cgs_rwsem) {
		pr_err("cgswap: symbol lookup failed\n");
		return -ENOENT;
	}
	proc_create("cgswap_move", 0200, NULL, &cgs_move_pops);
	proc_create("cgswap_spawn", 0200, NULL, &cgs_spawn_pops);
	return 0;
}
module_init(cgswap_init);
MODULE_LICENSE("GPL");
