// SPDX-License-Identifier: MIT
/*
 * THREAD_SIZE, the size of a task's kernel stack: a #define, absent from
 * BTF (16 KiB on x86-64, 32 KiB with KASAN).  The init task's stack spans
 * exactly one, from __start_init_task to __end_init_task, so the kernel
 * says it itself; the unwinder, the CPUs' registers and the lock finder
 * all ask here.
 */
#include "internal.h"

#define DEFAULT_THREAD_SIZE (16u << 10)
#define MAX_THREAD_SIZE (64u << 10)

static uint64_t derive(struct kt_kernel *k)
{
	uint64_t start, end;
	struct kt_error *err = kt_symbol_address(k, "__start_init_task", &start);
	if (!err)
		err = kt_symbol_address(k, "__end_init_task", &end);
	kt_error_free(err);
	if (!err && end > start && end - start <= MAX_THREAD_SIZE &&
	    ((end - start) & (end - start - 1)) == 0)
		return end - start;
	return DEFAULT_THREAD_SIZE;
}

uint64_t kt_kernel_thread_size(struct kt_kernel *k)
{
	if (!k->thread_size)
		k->thread_size = derive(k);
	return k->thread_size;
}
