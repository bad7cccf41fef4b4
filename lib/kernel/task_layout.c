// SPDX-License-Identifier: MIT
/*
 * The shape of struct task_struct in this kernel, looked up by member name
 * once, and the reading of one task with it.  Members that moved or were
 * renamed across versions are asked for under each name:
 *   __state (5.14+) / state;
 *   thread_info.cpu (5.16+ where thread_info is in task_struct, as on
 *   x86) / cpu (4.9 to 5.15 there) / the thread_info at the stack's base
 *   (older kernels and other architectures);
 *   signal->thread_head + thread_node (3.14+) / the thread_group ring.
 * Optional members (on_cpu without SMP, sched_info without SCHED_INFO) are
 * left at 0 when the kernel has none.
 */
#include <stdio.h>
#include <string.h>

#include "ktriage/base.h"
#include "task_layout.h"

#define TASK "struct task_struct"

/* Kernel threads: PF_KTHREAD of include/linux/sched.h, 0x00200000 since
 * 2.6.27.  A #define: no type carries it and no kernel table lists the PF_
 * bits, so this one fact stays written here. */
#define PF_KTHREAD 0x00200000u

static struct kt_error *field(struct kt_kernel *k, const char *type,
			      const char *member, struct kt_field *out)
{
	struct kt_member m;
	struct kt_error *err = kt_type_member(k, type, member, &m);
	if (err)
		return err;
	if (m.bit_size || m.bit_offset % 8 ||
	    (m.size != 1 && m.size != 2 && m.size != 4 && m.size != 8))
		return kt_error_create(KT_ERR_UNSUPPORTED,
				       "%s.%s is not a whole integer or pointer",
				       type, member);
	out->offset = (uint32_t)(m.bit_offset / 8);
	out->size = (uint32_t)m.size;
	return NULL;
}

/* The first of the names this kernel has; size 0 if none, which is fine. */
static void optional_field(struct kt_kernel *k, const char *type,
			   const char *const *members, struct kt_field *out)
{
	*out = (struct kt_field){ 0 };
	for (; *members; members++) {
		if (kt_type_has_member(k, type, *members) &&
		    !kt_error_catch(field(k, type, *members, out)))
			return;
		*out = (struct kt_field){ 0 };
	}
}

static struct kt_error *required_field(struct kt_kernel *k, const char *type,
				       const char *const *members,
				       struct kt_field *out)
{
	optional_field(k, type, members, out);
	if (out->size)
		return NULL;
	return kt_error_create(KT_ERR_NOT_FOUND, "%s has no member %s", type,
			       members[0]);
}

#define NAMES(...) ((const char *const[]){ __VA_ARGS__, NULL })

static struct kt_error *task_fields(struct kt_kernel *k, struct kt_task_layout *l)
{
	struct kt_error *err;
	if ((err = required_field(k, TASK, NAMES("pid"), &l->pid)) ||
	    (err = required_field(k, TASK, NAMES("tgid"), &l->tgid)) ||
	    (err = required_field(k, TASK, NAMES("__state", "state"), &l->state)) ||
	    (err = required_field(k, TASK, NAMES("exit_state"), &l->exit_state)) ||
	    (err = required_field(k, TASK, NAMES("real_parent"), &l->real_parent)) ||
	    (err = required_field(k, TASK, NAMES("flags"), &l->flags)) ||
	    (err = required_field(k, TASK, NAMES("stack"), &l->stack)))
		return err;
	optional_field(k, TASK, NAMES("on_cpu"), &l->on_cpu);
	optional_field(k, TASK, NAMES("cpu", "thread_info.cpu"), &l->cpu);
	if (!l->cpu.size)
		optional_field(k, "struct thread_info", NAMES("cpu"),
			       &l->stack_thread_info_cpu);
	optional_field(k, TASK, NAMES("thread.sp"), &l->saved_sp);
	optional_field(k, TASK, NAMES("sched_info.last_arrival"), &l->last_arrival);
	optional_field(k, TASK, NAMES("sched_info.last_queued"), &l->last_queued);
	struct kt_member comm;
	if ((err = kt_type_member(k, TASK, "comm", &comm)))
		return err;
	l->comm = (uint32_t)(comm.bit_offset / 8);
	l->comm_size = (uint32_t)(comm.size < 16 ? comm.size : 16);
	return kt_type_offsetof(k, TASK, "tasks", &l->tasks);
}

static struct kt_error *thread_fields(struct kt_kernel *k, struct kt_task_layout *l)
{
	if (kt_type_has_member(k, TASK, "thread_node") &&
	    kt_type_has_member(k, "struct signal_struct", "thread_head")) {
		struct kt_error *err = field(k, TASK, "signal", &l->signal);
		if (!err)
			err = kt_type_offsetof(k, "struct signal_struct",
					       "thread_head", &l->thread_head);
		if (!err)
			err = kt_type_offsetof(k, TASK, "thread_node", &l->thread_link);
		return err;
	}
	l->thread_ring = true;
	return kt_type_offsetof(k, TASK, "thread_group", &l->thread_link);
}

static struct kt_error *runqueue_fields(struct kt_kernel *k, struct kt_task_layout *l)
{
	struct kt_error *err = kt_symbol_address(k, "runqueues", &l->runqueues);
	if (!err)
		err = kt_type_offsetof(k, "struct rq", "idle", &l->rq_idle);
	if (!err)
		err = kt_type_offsetof(k, "struct rq", "curr", &l->rq_curr);
	return err;
}

/* The TASK_* bits from the kernel's own table; its version only when the
 * table cannot be read (task_state.c). */
static void state_bits(struct kt_kernel *k, struct kt_task_layout *l)
{
	if (kt_task_state_bits_of(k, &l->state_bits))
		return;
	unsigned major = 0, minor = 0;
	if (sscanf(kt_kernel_release(k), "%u.%u", &major, &minor) != 2) {
		kt_kernel_warn(k, "tasks: release \"%s\" has no version: task states as for the newest kernels",
			       kt_kernel_release(k));
		major = ~0u;
	}
	kt_task_state_bits_for(major, minor, &l->state_bits);
}

struct kt_error *kt_task_layout_init(struct kt_kernel *k,
				     struct kt_task_layout *l)
{
	memset(l, 0, sizeof(*l));
	struct kt_error *err = kt_type_sizeof(k, TASK, &l->size);
	if (!err && (l->size < 64 || l->size > (1u << 20)))
		err = kt_error_create(KT_ERR_INVALID,
				      "%s is %llu bytes: implausible", TASK,
				      (unsigned long long)l->size);
	if (!err)
		err = task_fields(k, l);
	if (!err)
		err = thread_fields(k, l);
	if (!err)
		err = runqueue_fields(k, l);
	if (!err)
		state_bits(k, l);
	return err;
}

static uint64_t get(const uint8_t *buffer, struct kt_field f)
{
	return kt_le_uint(buffer + f.offset, f.size);
}

static int64_t get_signed(const uint8_t *buffer, struct kt_field f)
{
	uint64_t v = get(buffer, f);
	unsigned shift = 64 - 8 * f.size;
	return f.size ? (int64_t)(v << shift) >> shift : 0;
}

/* The pid of the task a pointer leads to: -1 if it leads nowhere. */
static int32_t pid_at(struct kt_kernel *k, const struct kt_task_layout *l,
		      uint64_t task)
{
	uint32_t pid;
	if (!task || !kt_kernel_is_kernel_address(k, task))
		return -1;
	struct kt_error *err = kt_kernel_read_u32(k, task + l->pid.offset, &pid);
	kt_error_free(err);
	return err ? -1 : (int32_t)pid;
}

static int32_t cpu_of(struct kt_kernel *k, const struct kt_task_layout *l,
		      const uint8_t *buffer, uint64_t stack)
{
	uint64_t cpu = ~0ull;
	if (l->cpu.size) {
		cpu = get(buffer, l->cpu);
	} else if (l->stack_thread_info_cpu.size && stack) {
		uint32_t v;
		struct kt_error *err = kt_kernel_read_u32(
			k, stack + l->stack_thread_info_cpu.offset, &v);
		if (!err)
			cpu = v;
		kt_error_free(err);
	}
	return cpu < kt_kernel_nr_cpus(k) ? (int32_t)cpu : -1;
}

struct kt_error *kt_task_read(struct kt_kernel *k,
			      const struct kt_task_layout *l, uint64_t address,
			      uint8_t *buffer, struct kt_task *t)
{
	if (!kt_kernel_is_kernel_address(k, address) || address % 8)
		return kt_error_create(KT_ERR_INVALID,
				       "task 0x%llx: not a kernel address",
				       (unsigned long long)address);
	struct kt_error *err = kt_kernel_read(k, address, buffer, l->size);
	if (err)
		return kt_error_wrap(err, "task 0x%llx",
				     (unsigned long long)address);
	memset(t, 0, sizeof(*t));
	t->address = address;
	t->pid = (int32_t)get_signed(buffer, l->pid);
	t->tgid = (int32_t)get_signed(buffer, l->tgid);
	if (t->pid < 0 || t->tgid < 0)
		return kt_error_create(KT_ERR_INVALID,
				       "task 0x%llx: pid %d, tgid %d: not a task",
				       (unsigned long long)address, t->pid, t->tgid);
	uint64_t state = get(buffer, l->state), exit_state = get(buffer, l->exit_state);
	t->raw_state = state | exit_state;
	t->state = kt_task_state_decode(&l->state_bits, state, exit_state);
	memcpy(t->comm, buffer + l->comm, l->comm_size);
	t->comm[sizeof(t->comm) - 1] = '\0';
	t->ppid = pid_at(k, l, get(buffer, l->real_parent));
	t->flags = (uint32_t)get(buffer, l->flags);
	t->is_kernel_thread = t->flags & PF_KTHREAD;
	t->stack = get(buffer, l->stack);
	t->saved_sp = get(buffer, l->saved_sp);
	t->on_cpu = get(buffer, l->on_cpu) != 0;
	t->cpu = cpu_of(k, l, buffer, t->stack);
	t->last_arrival = get(buffer, l->last_arrival);
	t->last_queued = get(buffer, l->last_queued);
	return NULL;
}

struct kt_error *kt_task_thread_list(struct kt_kernel *k,
				     const struct kt_task_layout *l,
				     uint64_t leader, uint64_t *head,
				     uint64_t *link)
{
	*link = l->thread_link;
	if (l->thread_ring) {
		*head = leader + l->thread_link;
		return NULL;
	}
	uint64_t signal;
	struct kt_error *err = kt_kernel_read_u64(k, leader + l->signal.offset, &signal);
	if (err)
		return kt_error_wrap(err, "task 0x%llx: signal",
				     (unsigned long long)leader);
	if (!kt_kernel_is_kernel_address(k, signal))
		return kt_error_create(KT_ERR_INVALID,
				       "task 0x%llx: signal 0x%llx is not a kernel address",
				       (unsigned long long)leader,
				       (unsigned long long)signal);
	*head = signal + l->thread_head;
	return NULL;
}

struct kt_error *kt_task_runqueue(struct kt_kernel *k,
				  const struct kt_task_layout *l, unsigned cpu,
				  uint64_t *idle, uint64_t *curr)
{
	uint64_t rq;
	struct kt_error *err = kt_kernel_per_cpu(k, l->runqueues, cpu, &rq);
	if (!err)
		err = kt_kernel_read_u64(k, rq + l->rq_idle, idle);
	if (!err)
		err = kt_kernel_read_u64(k, rq + l->rq_curr, curr);
	if (err)
		return kt_error_wrap(err, "runqueue");
	if (*idle && !kt_kernel_is_kernel_address(k, *idle))
		*idle = 0;
	if (*curr && !kt_kernel_is_kernel_address(k, *curr))
		*curr = 0;
	return NULL;
}

struct kt_error *kt_task_runqueue_clock(struct kt_kernel *k, unsigned cpu,
					uint64_t *clock_ns)
{
	uint64_t runqueues, rq;
	struct kt_error *err = kt_symbol_address(k, "runqueues", &runqueues);
	if (!err)
		err = kt_kernel_per_cpu(k, runqueues, cpu, &rq);
	if (!err)
		err = kt_read_member_u64(k, rq, "struct rq", "clock", clock_ns);
	if (err)
		return kt_error_wrap(err, "CPU %u: runqueue clock", cpu);
	return NULL;
}
