// SPDX-License-Identifier: GPL-2.0
/*
 * evwait: tasks wait on a completion that nobody completes; no lock is involved.
 * "evwait_io/0..1" and a userspace "evclient" block in wait_for_completion(&ev_ready).
 */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/proc_fs.h>
#include <linux/delay.h>
#include <linux/sched.h>

static DECLARE_COMPLETION(ev_ready);	/* never completed */

static int ev_worker_fn(void *arg)
{
	long id = (long)arg;

	msleep(100 * id);
	pr_info("vmlab: waiter sym=ev_ready pid=%d comm=%s task=%px\n", current->pid, current->comm, current);
	wait_for_completion(&ev_ready);
	return 0;
}

static ssize_t ev_write(struct file *f, const char __user *buf, size_t len, loff_t *off)
{
	pr_info("vmlab: waiter sym=ev_ready pid=%d comm=%s task=%px\n", current->pid, current->comm, current);
	wait_for_completion(&ev_ready);
	return len;
}

static const struct proc_ops ev_pops = { .proc_write = ev_write };

static int __init evwait_init(void)
{
	long i;

	pr_info("vmlab: lock sym=ev_ready addr=%px kind=completion\n", &ev_ready);
	proc_create("evwait", 0200, NULL, &ev_pops);
	for (i = 0; i < 2; i++)
		kthread_run(ev_worker_fn, (void *)i, "evwait_io/%ld", i);
	return 0;
}
module_init(evwait_init);
MODULE_LICENSE("GPL");
