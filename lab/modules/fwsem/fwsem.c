// SPDX-License-Identifier: GPL-2.0
/*
 * fwsem: a struct semaphore held forever. "fwload_own" takes fw_sem with down() and
 * sleeps waiting for firmware that never arrives (the semaphore pointer stays live in
 * its frame for the up()); "fwload_wrk/0..1" and a userspace "fwctl" block in down().
 */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/semaphore.h>
#include <linux/completion.h>
#include <linux/proc_fs.h>
#include <linux/delay.h>
#include <linux/sched.h>

static struct semaphore fw_sem;
static DECLARE_COMPLETION(fw_sem_taken);
static volatile int fw_image_ready;

static noinline void fw_wait_image(struct semaphore *sem)
{
	while (!READ_ONCE(fw_image_ready))
		msleep_interruptible(1000);
	up(sem);
}

static int fw_owner_fn(void *arg)
{
	struct semaphore *sem = arg;

	down(sem);
	pr_info("vmlab: lock sym=fw_sem addr=%px kind=semaphore owner_pid=%d owner_comm=%s owner_task=%px\n",
		sem, current->pid, current->comm, current);
	complete(&fw_sem_taken);
	fw_wait_image(sem);
	return 0;
}

static int fw_worker_fn(void *arg)
{
	long id = (long)arg;

	msleep(200 + 100 * id);
	pr_info("vmlab: waiter sym=fw_sem pid=%d comm=%s task=%px\n", current->pid, current->comm, current);
	down(&fw_sem);
	up(&fw_sem);
	while (!kthread_should_stop())
		msleep_interruptible(1000);
	return 0;
}

static ssize_t fw_write(struct file *f, const char __user *buf, size_t len, loff_t *off)
{
	pr_info("vmlab: waiter sym=fw_sem pid=%d comm=%s task=%px\n", current->pid, current->comm, current);
	down(&fw_sem);
	up(&fw_sem);
	return len;
}

static const struct proc_ops fw_pops = { .proc_write = fw_write };

static int __init fwsem_init(void)
{
	long i;

	sema_init(&fw_sem, 1);
	proc_create("fwsem", 0200, NULL, &fw_pops);
	kthread_run(fw_owner_fn, &fw_sem, "fwload_own");
	wait_for_completion(&fw_sem_taken);
	for (i = 0; i < 2; i++)
		kthread_run(fw_worker_fn, (void *)i, "fwload_wrk/%ld", i);
	return 0;
}
module_init(fwsem_init);
MODULE_LICENSE("GPL");
