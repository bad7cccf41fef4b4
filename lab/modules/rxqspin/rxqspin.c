// SPDX-License-Identifier: GPL-2.0
/*
 * rxqspin: spinlock soft lockup with the holder busy on another CPU.
 * "rxq_hold/1" (bound to CPU 1) takes rxq_lock and busy-waits for a ring that never
 * fills, the lock pointer live in its frame; "rxq_poll/0" (bound to CPU 0) then spins
 * in spin_lock(&rxq_lock). Both CPUs stop scheduling; the watchdog reports a soft
 * lockup and softlockup_panic=1 panics. The holder is the culprit.
 */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/spinlock.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/sched.h>

static DEFINE_SPINLOCK(rxq_lock);
static DECLARE_COMPLETION(rxq_locked);
static volatile unsigned long rxq_ring_tail;

/* Keeps the lock pointer live across the loop (it is needed for the unlock). */
static noinline void rxq_drain_ring(spinlock_t *lock)
{
	while (READ_ONCE(rxq_ring_tail) == 0)
		cpu_relax();
	spin_unlock(lock);
}

static int rxq_hold_fn(void *arg)
{
	spinlock_t *lock = arg;

	spin_lock(lock);
	pr_info("vmlab: lock sym=rxq_lock addr=%px kind=spinlock owner_pid=%d owner_comm=%s owner_task=%px cpu=%d\n",
		lock, current->pid, current->comm, current, smp_processor_id());
	complete(&rxq_locked);
	rxq_drain_ring(lock);
	return 0;
}

static int rxq_poll_fn(void *arg)
{
	spinlock_t *lock = arg;

	pr_info("vmlab: waiter sym=rxq_lock pid=%d comm=%s task=%px cpu=%d\n",
		current->pid, current->comm, current, smp_processor_id());
	spin_lock(lock);
	spin_unlock(lock);
	return 0;
}

static int __init rxqspin_init(void)
{
	struct task_struct *h, *p;

	h = kthread_create(rxq_hold_fn, &rxq_lock, "rxq_hold/1");
	p = kthread_create(rxq_poll_fn, &rxq_lock, "rxq_poll/0");
	if (IS_ERR(h) || IS_ERR(p))
		return -ENOMEM;
	kthread_bind(h, 1);
	kthread_bind(p, 0);
	wake_up_process(h);
	wait_for_completion(&rxq_locked);
	msleep(100);
	wake_up_process(p);
	return 0;
}
module_init(rxqspin_init);
MODULE_LICENSE("GPL");
