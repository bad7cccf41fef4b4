// SPDX-License-Identifier: MIT
/*
 * The kernel model's concerns, one row each: what kt_kernel_close tears
 * down before the foundations (types, symbols, the architecture) it was
 * built on.  A concern that caches state on the kernel adds its row here,
 * not a line in kernel.c.  A destroy function frees its own state only,
 * so the rows' order does not matter; they all run before the foundations.
 */
#include "internal.h"

kt_kernel_concern_destroy_fn *const kt_kernel_concerns[] = {
	kt_orc_destroy,
	kt_modules_destroy,
	kt_tasks_destroy,
	kt_log_destroy,
	kt_layouts_destroy,
};
const size_t kt_nr_kernel_concerns = sizeof(kt_kernel_concerns) / sizeof(kt_kernel_concerns[0]);
