// SPDX-License-Identifier: MIT
/*
 * The analyzers, one line each, in precedence order: when two findings
 * explain the same end of the machine, the one listed first wins, and an
 * event (an oops, the hung-task reports) already explained by an analyzer
 * is left alone by those after it.  So the specific comes before the
 * general: a GPF in __run_timers is timer_bug before it is gpf, hung tasks
 * on cgroup locks are cgroup_deadlock before they are hung_task.
 *
 * Adding an analyzer: lib/analysis/patterns/<name>.c defining
 *   const struct kt_analyzer kt_analyzer_<name> = { "<name>", analyze };
 * (a pattern of oops kinds: KT_OOPS_PATTERN(<name>, kinds), internal.h)
 * and its line here.
 */
#include "internal.h"

#define KT_ANALYZERS(X)                                                       \
	X(sysrq)               /* a requested crash explains what it triggers */ \
	X(mce)                 /* hardware: explains any software symptom */  \
	X(cgroup_deadlock)     /* hung tasks on cgroup locks */               \
	X(rt_mutex_corruption) /* hung rt_mutex waiters, owner not blocked */ \
	X(hung_task)           /* any other hung-task reports */              \
	X(timer_bug)           /* oops/BUG/WARN in timer code or a callback */ \
	X(list_corruption)     /* CONFIG_DEBUG_LIST reports */                \
	X(oom)                 /* OOM killer and panic_on_oom */              \
	X(null_deref)          /* BUG: kernel NULL pointer dereference */     \
	X(gpf)                 /* general protection fault, bad paging */     \
	X(kernel_bug)          /* kernel BUG at file:line, BUG() */           \
	X(panic_on_warn)       /* a WARN made fatal by panic_on_warn */       \
	X(soft_lockup)                                                        \
	X(hard_lockup)                                                        \
	X(rcu_stall)                                                          \
	X(init_died)           /* Attempted to kill init */                   \
	X(no_root_fs)          /* no root filesystem, no init to run */       \
	X(unknown)             /* last: any panic nothing else explained */

#define DECLARE(name) extern const struct kt_analyzer kt_analyzer_##name;
#define ENTRY(name) &kt_analyzer_##name,

KT_ANALYZERS(DECLARE)

const struct kt_analyzer *const kt_analyzers[] = { KT_ANALYZERS(ENTRY) };
const size_t kt_nr_analyzers = sizeof(kt_analyzers) / sizeof(kt_analyzers[0]);
