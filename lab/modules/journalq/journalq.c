// SPDX-License-Identifier: GPL-2.0
/*
 * journalq: a hung mutex. The "jq_commit" kthread takes jq_lock and waits for a commit
 * completion that never comes (a lost I/O completion); "jq_apply/N" kthreads and any writer
 * of /proc/journalq block in mutex_lock(&jq_lock).
 * /proc/journalq_noise: a write of N prints N 120-byte KERN_DEBUG lines (stored in the
 * printk ring, not sent to the console), so the hung-task reports scroll out of the ring.
 */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/mutex.h>
#include <linux/completion.h>
#include <linux/proc_fs.h>
#include <linux/uaccess.h>
#include <linux/delay.h>
#include <linux/sched.h>

static DEFINE_MUTEX(jq_lock);
static DECLARE_COMPLETION(jq_locked);
static DECLARE_COMPLETION(jq_commit_done);	/* never completed */

static int jq_commit_fn(void *arg)
{
	mutex_lock(&jq_lock);
	pr_info("vmlab: lock sym=jq_lock addr=%px kind=mutex owner_pid=%d owner_comm=%s owner_task=%px\n",
		&jq_lock, current->pid, current->comm, current);
	complete(&jq_locked);
	wait_for_completion(&jq_commit_done);
	mutex_unlock(&jq_lock);
	return 0;
}

static int jq_apply_fn(void *arg)
{
	long id = (long)arg;

	msleep(200 + 100 * id);
	pr_info("vmlab: waiter sym=jq_lock pid=%d comm=%s task=%px\n", current->pid, current->comm, current);
	mutex_lock(&jq_lock);
	mutex_unlock(&jq_lock);
	while (!kthread_should_stop())
		msleep_interruptible(1000);
	return 0;
}

static ssize_t jq_write(struct file *f, const char __user *buf, size_t len, loff_t *off)
{
	pr_info("vmlab: waiter sym=jq_lock pid=%d comm=%s task=%px\n", current->pid, current->comm, current);
	mutex_lock(&jq_lock);
	mutex_unlock(&jq_lock);
	return len;
}

static ssize_t jq_noise_write(struct file *f, const char __user *buf, size_t len, loff_t *off)
{
	char num[16] = "";
	unsigned long n = 0, i;

	if (copy_from_user(num, buf, min(len, sizeof(num) - 1)))
		return -EFAULT;
	if (kstrtoul(strim(num), 10, &n) || n > 100000)
		return -EINVAL;
	for (i = 0; i < n; i++)
		printk(KERN_DEBUG "jq_audit: seq=%06lu replay segment verified, checksum ok, no action needed ....................................\n", i);
	return len;
}

static const struct proc_ops jq_ops = { .proc_write = jq_write };
static const struct proc_ops jq_noise_ops = { .proc_write = jq_noise_write };

static int __init journalq_init(void)
{
	long i;

	proc_create("journalq", 0200, NULL, &jq_ops);
	proc_create("journalq_noise", 0200, NULL, &jq_noise_ops);
	kthread_run(jq_commit_fn, NULL, "jq_commit");
	wait_for_completion(&jq_locked);
	for (i = 0; i < 3; i++)
		kthread_run(jq_apply_fn, (void *)i, "jq_apply/%ld", i);
	return 0;
}
module_init(journalq_init);
MODULE_LICENSE("GPL");
