/* SPDX-License-Identifier: MIT */
/* Where a task's fields are in this kernel's task_struct (task_layout.c). */
#ifndef KTRIAGE_KERNEL_TASK_LAYOUT_H
#define KTRIAGE_KERNEL_TASK_LAYOUT_H

#include "layouts.h"

struct kt_task_layout {
	uint64_t size;                   /* sizeof(struct task_struct) */
	struct kt_field pid, tgid, state, exit_state, real_parent, flags,
		stack, on_cpu, cpu, saved_sp, last_arrival, last_queued, signal;
	uint32_t comm, comm_size;
	uint64_t tasks;                  /* task_struct.tasks: the process list */
	/* Threads: signal->thread_head of thread_node (3.14+), else the ring
	 * through task_struct.thread_group. */
	bool thread_ring;
	uint64_t thread_head, thread_link;
	/* Before thread_info moved into task_struct, the CPU is in the
	 * struct thread_info at the base of the stack. */
	struct kt_field stack_thread_info_cpu;
	struct kt_task_state_bits state_bits;
	uint64_t runqueues;              /* per-CPU struct rq */
	uint64_t rq_idle, rq_curr;
};

struct kt_error *kt_task_layout_init(struct kt_kernel *kernel,
				     struct kt_task_layout *layout);
/* Read the task_struct at address (buffer holds layout->size bytes). */
struct kt_error *kt_task_read(struct kt_kernel *kernel,
			      const struct kt_task_layout *layout,
			      uint64_t address, uint8_t *buffer,
			      struct kt_task *task);
/* The list_head anchoring leader's thread list, and the offset of the link
 * in each thread's task_struct. */
struct kt_error *kt_task_thread_list(struct kt_kernel *kernel,
				     const struct kt_task_layout *layout,
				     uint64_t leader, uint64_t *head,
				     uint64_t *link);
/* A CPU's runqueue: its idle task and the task it was running. */
struct kt_error *kt_task_runqueue(struct kt_kernel *kernel,
				  const struct kt_task_layout *layout,
				  unsigned cpu, uint64_t *idle, uint64_t *curr);
struct kt_error *kt_task_runqueue_clock(struct kt_kernel *kernel, unsigned cpu,
					uint64_t *clock_ns);

#endif
