// SPDX-License-Identifier: MIT
/*
 * Memory evidence: what the dump's kernel model says about the tasks,
 * stacks and modules the log names.  Every call degrades to "no memory
 * evidence" (and a note in the report) when the model cannot answer, so
 * an analyzer never fails because memory is damaged.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

const struct kt_task *kt_model_tasks(struct kt_analysis *a, size_t *count)
{
	*count = 0;
	if (!a->kernel)
		return NULL;
	if (!a->tasks_read) {
		a->tasks_read = true;
		struct kt_error *err = kt_tasks(a->kernel, &a->tasks, &a->nr_tasks);
		if (err) {
			kt_analysis_note(a, "tasks could not be read from memory: %s",
					 kt_error_string(err));
			kt_error_free(err);
			a->tasks = NULL;
			a->nr_tasks = 0;
		}
	}
	*count = a->nr_tasks;
	return a->tasks;
}

bool kt_model_tasks_unreadable(struct kt_analysis *a)
{
	size_t count;
	return a->kernel && !kt_model_tasks(a, &count);
}

const struct kt_task *kt_model_task(struct kt_analysis *a, int32_t pid)
{
	size_t count;
	const struct kt_task *tasks = kt_model_tasks(a, &count);
	for (size_t i = 0; tasks && i < count; i++)
		if (tasks[i].pid == pid)
			return &tasks[i];
	return NULL;
}

int64_t kt_model_blocked_seconds(struct kt_analysis *a, const struct kt_task *task)
{
	uint64_t clock;
	if (!a->kernel || task->cpu < 0 || !task->last_arrival)
		return -1;
	struct kt_error *err = kt_cpu_clock(a->kernel, (unsigned)task->cpu, &clock);
	if (err) {
		kt_error_free(err);
		return -1;
	}
	if (clock < task->last_arrival)
		return -1;
	return (int64_t)((clock - task->last_arrival) / 1000000000ull);
}

bool kt_model_stack(struct kt_analysis *a, const struct kt_task *task,
		    struct kt_finding_draft *f, struct kt_evidence_task *evidence)
{
	if (!a->kernel || !f || !evidence)
		return false;
	struct kt_stack *stack;
	struct kt_error *err = kt_stack_unwind(a->kernel, task, &stack);
	if (err) {
		kt_analysis_note(a, "stack of pid %d could not be unwound: %s",
				 task->pid, kt_error_string(err));
		kt_error_free(err);
		return false;
	}
	size_t n = stack->count;
	struct kt_evidence_frame *frames = n ? kt_arena_alloc(f->arena, n * sizeof(*frames)) : NULL;
	for (size_t i = 0; frames && i < n; i++) {
		const struct kt_frame *fr = &stack->frames[i];
		frames[i] = (struct kt_evidence_frame){
			.function = fr->function ? kt_finding_strdup(f, fr->function)
						 : kt_arena_printf(f->arena, "0x%" PRIx64, fr->pc),
			.offset = fr->function ? fr->offset : 0,
			.module = kt_finding_strdup(f, fr->module),
			.reliable = fr->reliable,
		};
	}
	if (stack->partial)
		kt_analysis_note(a, "stack of pid %d is partial: %s", task->pid, kt_stack_error(stack));
	bool ok = frames != NULL;
	if (ok) {
		evidence->frames = frames;
		evidence->nr_frames = n;
		evidence->sources |= KT_FROM_MEMORY;
	}
	kt_stack_free(stack);
	return ok;
}

/* A D-state task as evidence: its state, how long, its stack from memory. */
static void describe_blocked(struct kt_analysis *a, struct kt_finding_draft *f,
			     struct kt_evidence_task *t, const struct kt_task *task)
{
	t->sources |= KT_FROM_MEMORY;
	t->state = "D";
	int64_t seconds = kt_model_blocked_seconds(a, task);
	if (seconds >= 0)
		t->blocked_seconds = seconds;
	kt_model_stack(a, task, f, t);
}

size_t kt_model_confirm_blocked(struct kt_analysis *a, struct kt_finding_draft *f)
{
	size_t count, confirmed = 0;
	const struct kt_task *tasks = kt_model_tasks(a, &count);
	if (!tasks || !f)
		return 0;
	size_t from_log = f->pub.nr_tasks;
	for (size_t i = 0; i < from_log; i++) {
		struct kt_evidence_task *t = (struct kt_evidence_task *)&f->pub.tasks[i];
		const struct kt_task *task = kt_model_task(a, t->pid);
		if (!task || task->state != KT_TASK_UNINTERRUPTIBLE)
			continue;
		if (t->comm && strncmp(t->comm, task->comm, 15) != 0)
			continue; /* a recycled pid is not the same task */
		describe_blocked(a, f, t, task);
		confirmed++;
	}
	for (size_t i = 0; i < count; i++) {
		const struct kt_task *task = &tasks[i];
		if (task->state != KT_TASK_UNINTERRUPTIBLE || kt_finding_task(f, task->pid))
			continue;
		struct kt_evidence_task *t = kt_finding_add_task(f, task->pid, task->comm,
								 KT_FROM_MEMORY);
		if (!t)
			continue;
		t->role = "blocked (memory only: not reported in the log)";
		describe_blocked(a, f, t, task);
	}
	if (confirmed)
		kt_finding_add_sources(f, KT_FROM_MEMORY);
	return confirmed;
}

bool kt_model_module_taints(struct kt_analysis *a, const char *module,
			    char *letters, size_t size)
{
	const struct kt_module *modules;
	size_t count;
	if (!a->kernel || !module)
		return false;
	struct kt_error *err = kt_modules(a->kernel, &modules, &count);
	if (err) {
		kt_error_free(err);
		return false;
	}
	for (size_t i = 0; i < count; i++)
		if (strcmp(modules[i].name, module) == 0) {
			snprintf(letters, size, "%s", modules[i].taint_letters);
			return true;
		}
	return false;
}
