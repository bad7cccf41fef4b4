/* SPDX-License-Identifier: MIT */
/*
 * What analyzers share: the facts parsed once from the log, the model of a
 * dump when there is one, and the finding builder.  An analyzer is one file
 * defining `const struct kt_analyzer kt_analyzer_<name>` and one entry in
 * registry.c.
 */
#ifndef KTRIAGE_ANALYZERS_INTERNAL_H
#define KTRIAGE_ANALYZERS_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "ktriage/analyzer.h"
#include "ktriage/kernel.h"

/* ---- Frames as the kernel prints them (frames.c) ---------------------- */

struct kt_text_frame {
	const char *function;  /* "__mutex_lock.constprop.0" */
	uint64_t offset, size; /* size 0 when not printed */
	const char *module;    /* NULL for the kernel image */
	bool unreliable;       /* printed with '?' */
	bool inlined;          /* a symbolizer's "[inline]" frame */
	size_t line;           /* index of the log line */
};

/*
 * Find "function+0xoff/0xsize [module]" in a trace or RIP line, in any of
 * the kernel's formats (x86 with or without "[<addr>]", arm "(fn) from",
 * arm64 "pc : fn").  Strings are copied into the arena.
 */
bool kt_frame_parse(struct kt_arena *arena, const char *text,
		    struct kt_text_frame *frame);
/* The function without compiler suffixes (.cold, .constprop.0, .isra.0...). */
void kt_function_base(const char *function, char *out, size_t size);
/* Does name (suffixes allowed) equal base? */
bool kt_function_is(const char *function, const char *base);
bool kt_function_has_prefix(const char *function, const char *prefix);
/*
 * Frames every crash of a kind shares (scheduler, lock slow paths, entry
 * code, panic and stack dumping): never the culprit.
 */
bool kt_function_is_plumbing(const char *function);
/*
 * A BUG/WARN site's file as a signature keeps it: in-tree paths as printed
 * ("kernel/time/timer.c"), out-of-tree absolute build paths cut to their
 * last two components ("fwcheck/fwcheck.c"), which survive a rebuild
 * elsewhere.
 */
const char *kt_site_file(const char *file);
/* Replace digit runs by "N": "kworker/u4:1" -> "kworker/uN:N". */
void kt_normalize_comm(const char *comm, char *out, size_t size);

/* What a poisoned value means (poison.c), or NULL for an ordinary one. */
const char *kt_poison_name(uint64_t value);

/* ---- Facts from the log (log_facts.c) --------------------------------- */

struct kt_text_trace {
	struct kt_text_frame *frames;
	size_t count;
	size_t first_line, end_line; /* log lines the trace covers */
};

enum kt_oops_kind {
	KT_OOPS_NULL_DEREF,  /* BUG: kernel NULL pointer dereference */
	KT_OOPS_PAGE_FAULT,  /* BUG: unable to handle page fault / paging request */
	KT_OOPS_GPF,         /* general protection fault */
	KT_OOPS_BUG,         /* kernel BUG at file:line! / invalid opcode */
	KT_OOPS_WARN,        /* WARNING: CPU: N PID: N at file:line */
	KT_OOPS_OTHER,       /* Oops: / Internal error: without more */
};

/* One oops, BUG or WARN report: the header and what follows it. */
struct kt_oops {
	enum kt_oops_kind kind;
	size_t line, end;        /* header line, one past the report */
	const char *header;      /* the header's text */
	bool has_address;
	uint64_t address;        /* faulting address */
	const char *bug_file;    /* "lib/list_debug.c" of BUG/WARN, or NULL */
	int bug_line;
	bool has_rip;
	struct kt_text_frame rip;/* where it happened */
	size_t rip_line;
	int cpu, pid;            /* -1 when not printed */
	const char *comm;
	const char *workqueue;   /* "events_unbound statsagg_flush_work [statsagg]" */
	const char *taint;       /* "G           OE" or "Not tainted" */
	int number;              /* the N of "[#N]", 0 when not printed */
	bool in_interrupt;       /* the trace starts in <IRQ> or softirq */
	struct kt_text_trace trace;
	size_t regs_line;        /* first register line after RIP, or 0 */
};

/* "INFO: task comm:pid blocked for more than N seconds." and its stack. */
struct kt_hung_report {
	size_t line;             /* KT_NO_LINE: memory found it, the log has no report */
	const char *comm;
	int pid;
	long seconds;
	char state;              /* from "task:comm state:D ...", or 0 */
	struct kt_text_trace trace;
	unsigned sources;        /* enum kt_evidence_source: log, memory or both */
	const char *memory_lock; /* the lock memory shows it waits on ("cgroup_mutex"), or NULL */
	const char *memory_kind; /* that lock's kind ("mutex", "percpu_rwsem"), or NULL */
	bool memory_writer;      /* memory: it waits to write-lock it */
};

/* A fact memory found that no log line shows. */
#define KT_NO_LINE SIZE_MAX

/* ---- Waits of blocked tasks (waits.c) --------------------------------- */

/* Why a blocked task sleeps, from its stack. */
struct kt_wait {
	const char *primitive;   /* "mutex", "rwsem", "percpu_rwsem", "rt_mutex",
				  * "completion", "io", "page", "sleep", or NULL */
	const char *mode;        /* "read", "write" or NULL */
	const struct kt_text_frame *blocker_frame; /* the first non-plumbing frame */
	const char *lock;        /* a lock the frames name: "cgroup_mutex", or NULL */
	const char *lock_via;    /* the frame it was inferred from */
	bool cgroup;             /* a cgroup function takes part */
};

void kt_wait_classify(const struct kt_text_trace *trace, struct kt_wait *wait);

struct kt_log_facts {
	const struct kt_log_text *log;
	bool has_panic;
	size_t panic_line;
	const char *panic;       /* after "Kernel panic - not syncing: " */
	int panic_cpu, panic_pid;/* from the CPU: line after it, -1 unknown */
	const char *panic_comm;
	struct kt_text_trace panic_trace;
	struct kt_oops *oopses;
	size_t nr_oopses;
	struct kt_hung_report *hung;
	struct kt_wait *hung_waits;  /* kt_wait_classify of each, computed once */
	size_t nr_hung;
	size_t nr_hung_logged;   /* hung[0..nr_hung_logged) come from the log's reports */
	const char *modules;     /* the last "Modules linked in:" list */
	const char *release;     /* kernel release the log names, or NULL */
	bool preempt_rt;         /* the kernel is PREEMPT_RT */
};

struct kt_error *kt_log_facts_parse(struct kt_arena *arena,
				    const struct kt_log_text *log,
				    struct kt_log_facts *facts);
const char *kt_log_facts_line(const struct kt_log_facts *facts, size_t line);
/* The first line at or after `from` containing needle, or SIZE_MAX. */
size_t kt_log_facts_find(const struct kt_log_facts *facts, size_t from,
			 const char *needle);
/* Parse a stack that starts at a "Call Trace:" line; stops at its end. */
void kt_log_facts_trace(struct kt_arena *arena, const struct kt_log_text *log,
			size_t call_trace_line, size_t limit,
			struct kt_text_trace *trace);
/* "CPU: 0 [UID: 0] PID: 29 Comm: kworker/u4:1 ...": false when s is not one. */
bool kt_parse_cpu_line(struct kt_arena *arena, const char *s, int *cpu, int *pid,
		       const char **comm);
/* Is the panic the consequence of this oops ("Fatal exception" after it)? */
bool kt_oops_caused_panic(const struct kt_log_facts *facts,
			  const struct kt_oops *oops);
/* Does the panic message contain s? */
bool kt_panic_says(const struct kt_log_facts *facts, const char *s);

/* ---- Facts from memory (memory_facts.c) ------------------------------ */

/*
 * The memory producer: merge what the dump's memory shows into the log's
 * facts, so analyzers match on one set.  Blocked (D) tasks join the hung
 * reports (a task in both is marked so; one memory alone has gets
 * KT_NO_LINE), and each gets the lock memory proves it waits on.  Runs only
 * where memory tells of a hang: the log reports one, the panic is
 * hung_task's, or the lock graph has a wait-for cycle.
 */
struct kt_analysis;
void kt_memory_facts_merge(struct kt_analysis *analysis, struct kt_log_facts *facts);
/* The lock memory shows hung report i waits on, else the one its stack names. */
const char *kt_hung_lock(const struct kt_analysis *analysis, size_t i);

/* ---- Findings (finding.c) --------------------------------------------- */

/* How a finding relates to the end of the machine. */
enum kt_claim {
	KT_CLAIM_NOTE = 0,   /* seen, did not end the machine */
	KT_CLAIM_FATAL = 1,  /* an oops: killed a task, the machine survived */
	KT_CLAIM_PANIC = 2,  /* the panic message is this finding's */
};

struct kt_finding_draft;
struct kt_analysis;

struct kt_finding_draft *kt_finding_new(struct kt_analysis *analysis,
					const char *verdict, enum kt_claim claim,
					size_t event_line, double confidence);
void kt_finding_summary(struct kt_finding_draft *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void kt_finding_confidence(struct kt_finding_draft *f, double confidence);
void kt_finding_add_line(struct kt_finding_draft *f, size_t line);
/* Every line in [first, end) that is not a '?' frame or register dump. */
void kt_finding_add_lines(struct kt_finding_draft *f, size_t first, size_t end);
struct kt_evidence_task *kt_finding_add_task(struct kt_finding_draft *f,
					     int32_t pid, const char *comm,
					     unsigned sources);
/* The task of that pid already in the finding, or NULL. */
struct kt_evidence_task *kt_finding_task(struct kt_finding_draft *f, int32_t pid);
void kt_task_set_frames(struct kt_finding_draft *f, struct kt_evidence_task *task,
			const struct kt_text_trace *trace);
struct kt_evidence_lock *kt_finding_add_lock(struct kt_finding_draft *f,
					     const char *symbol, const char *kind,
					     unsigned sources);
void kt_finding_lock_waiter(struct kt_finding_draft *f, struct kt_evidence_lock *lock,
			int32_t pid);
void kt_finding_fact(struct kt_finding_draft *f, const char *key,
		     const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A fact with where it came from (kt_finding_fact's facts come from the log). */
void kt_finding_fact_from(struct kt_finding_draft *f, unsigned sources, const char *key,
			  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void kt_finding_register(struct kt_finding_draft *f, const char *name,
			 const char *value);
/* The registers an oops printed (RIP, RSP, RAX..., CR2). */
void kt_finding_registers_from(struct kt_finding_draft *f, const struct kt_oops *oops);
void kt_finding_advice(struct kt_finding_draft *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A part of the signature (docs/signature.md); parts are hashed in order. */
void kt_finding_sign(struct kt_finding_draft *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The culprit frames of a trace: function bases, plumbing skipped. */
void kt_finding_sign_frames(struct kt_finding_draft *f,
			    const struct kt_text_frame *rip,
			    const struct kt_text_trace *trace, size_t max);
void kt_finding_add_sources(struct kt_finding_draft *f, unsigned sources);
char *kt_finding_strdup(struct kt_finding_draft *f, const char *s);
/*
 * Events (log lines of report headers) a finding explains.  Analyzers run
 * in precedence order and leave an event a more specific analyzer already
 * explained: one finding per event, the most specific one.
 */
void kt_finding_claim_event(struct kt_finding_draft *f, size_t line);
bool kt_analysis_event_claimed(const struct kt_analysis *analysis, size_t line);
/* Findings made so far in this analysis (for the fallback analyzers). */
size_t kt_analysis_finding_count(const struct kt_analysis *analysis);
enum kt_claim kt_analysis_finding_claim(const struct kt_analysis *analysis,
					size_t index);

/* ---- Common shapes of findings (oops_finding.c, hung_finding.c) -------- */

/*
 * A finding for an oops/BUG/WARN report: claims the panic when the oops
 * caused it, the oops's lines, the task, RIP, module, workqueue, taint and
 * registers as evidence, the culprit frames in the signature.  The caller
 * writes the summary and advice.
 */
/*
 * Give fn every oops of a kind in kinds (KT_OOPS_KIND bits) that no pattern
 * before claimed, in log order (oops_finding.c).  KT_OOPS_PATTERN makes a
 * pattern of it: one line, its name and the kinds it explains, in a file
 * that defines analyze_oops().
 */
#define KT_OOPS_KIND(kind) (1u << (kind))
void kt_each_oops(struct kt_analysis *analysis, unsigned kinds,
		  void (*fn)(struct kt_analysis *analysis, const struct kt_oops *oops));
#define KT_OOPS_PATTERN(name_, kinds_)                                      \
	static void analyze(struct kt_analysis *a)                          \
	{                                                                    \
		kt_each_oops(a, (kinds_), analyze_oops);                     \
	}                                                                    \
	const struct kt_analyzer kt_analyzer_##name_ = { #name_, analyze };
struct kt_finding_draft *kt_oops_finding(struct kt_analysis *analysis,
					 const char *verdict,
					 const struct kt_oops *oops,
					 double confidence);
/* "statsagg_flush_work+0x3a/0x4b [statsagg]" */
const char *kt_frame_string(struct kt_arena *arena, const struct kt_text_frame *frame);
/* The text after the panic, or "" when there is none. */
void kt_finding_add_panic(struct kt_analysis *analysis, struct kt_finding_draft *f);

/*
 * A finding for the log's hung-task reports (all of them, or those for
 * which keep() is true): each task with its wait and stack; the blocking
 * sites in the signature.  Claims the panic when hung_task_panic fired.
 */
struct kt_finding_draft *kt_hung_finding(struct kt_analysis *analysis,
					 const char *verdict, double confidence);
/*
 * Sign the finding anew with the blocking sites of the reports whose wait
 * is not bystander()'s: tasks that only queue behind the root come and go
 * with the detector's timing, the root's site does not.
 */
void kt_hung_sign_sites(struct kt_analysis *analysis, struct kt_finding_draft *f,
			bool (*bystander)(const struct kt_wait *wait));
/* The lock and primitive of hung report i, from its stack. */
void kt_hung_wait(const struct kt_analysis *analysis, size_t i, struct kt_wait *wait);

/* The first frame of a lockup trace after the detector's and interrupt entry's. */
size_t kt_lockup_culprit(const struct kt_text_trace *trace);
/* The trace from the culprit on. */
struct kt_text_trace kt_lockup_rest(const struct kt_text_trace *trace, size_t culprit);
/* The lockup's task from the log, its frames from the culprit on, in role. */
struct kt_evidence_task *kt_lockup_task(struct kt_analysis *analysis, struct kt_finding_draft *f,
					int32_t pid, const char *comm,
					const struct kt_text_trace *trace, size_t culprit,
					const char *role);
/* RIP and stack printed after a lockup detector's line, as an oops report. */
void kt_lockup_report(struct kt_analysis *analysis, size_t line, size_t limit,
		      struct kt_oops *oops);

/* ---- The analysis ------------------------------------------------------ */

struct kt_analysis {
	struct kt_arena *arena;            /* the report's: outlives the analysis */
	const struct kt_log_text *log;     /* never NULL (may be empty) */
	const struct kt_log_facts *facts;
	struct kt_kernel *kernel;          /* NULL in log-only mode */
	struct kt_report *report;
	/* The model, read on first use (model.c). */
	bool tasks_read;
	const struct kt_task *tasks;
	size_t nr_tasks;
	bool graph_read;
	struct kt_lock_graph *graph;
};

/* Where the log and memory disagree: said in the report, which stays whole. */
void kt_analysis_disagree(struct kt_analysis *analysis, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Add a sentence to the report's notes and mark it partial. */
void kt_analysis_note(struct kt_analysis *analysis, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- The model of a dump (model.c) ------------------------------------ */

/* Every task, or NULL (count 0) when there is no model or it failed. */
const struct kt_task *kt_model_tasks(struct kt_analysis *analysis, size_t *count);
const struct kt_task *kt_model_task(struct kt_analysis *analysis, int32_t pid);
/* A dump whose task list could not be read at all (not: a list with no blocked task). */
bool kt_model_tasks_unreadable(struct kt_analysis *analysis);
/* Seconds since the task last ran, from its CPU's clock; -1 unknown. */
int64_t kt_model_blocked_seconds(struct kt_analysis *analysis,
				 const struct kt_task *task);
/*
 * Put a task's unwound stack into the evidence task, replacing frames from
 * the log.  False when the stack could not be unwound.
 */
bool kt_model_stack(struct kt_analysis *analysis, const struct kt_task *task,
		    struct kt_finding_draft *f, struct kt_evidence_task *evidence);
/*
 * Confirm the log's blocked tasks in memory: each is raised to
 * KT_FROM_MEMORY when the model has it in D state, and D tasks the log did
 * not report are added.  Returns how many of the log's tasks memory
 * confirmed.
 */
size_t kt_model_confirm_blocked(struct kt_analysis *analysis,
				struct kt_finding_draft *f);
/* The module containing a text address the log printed, if any. */
bool kt_model_module_taints(struct kt_analysis *analysis, const char *module,
			    char *letters, size_t size);

/* What the lock graph in memory says about a finding's tasks (model_locks.c). */
struct kt_model_lock_summary {
	size_t locks;                          /* locks the finding's tasks are in */
	size_t cycles;                         /* wait-for cycles through them */
	const char *cycle;                     /* the first, as text */
	const char *chain;                     /* a waiter of the busiest lock to its root */
	const struct kt_evidence_lock *corrupt;/* a lock the kernel cannot have */
	const char *problem;                   /* what is wrong with it */
	const struct kt_evidence_lock *busiest;/* the lock with most waiters */
	bool write_held;                       /* busiest: a percpu_rwsem write-held, writer gone */
	int32_t root_pid;                      /* its owner, -1 when none */
	const char *root_wait;                 /* what the owner waits on */
	const char *event;                     /* the no-owner wait most tasks share */
	size_t event_waiters;                  /* how many of the finding's tasks */
};

/*
 * Add the locks the finding's tasks wait on or own, their owners, what
 * each task waits on, and the cycles.  False when memory has no lock
 * evidence (no dump, no graph, no lock involved).
 */
bool kt_model_locks(struct kt_analysis *analysis, struct kt_finding_draft *f,
		    struct kt_model_lock_summary *out);
/*
 * A lock CPUs spin on, as memory shows it: what a CPU spins on, or what it
 * holds while others spin (soft and hard lockups, RCU stalls).
 */
struct kt_model_spin {
	const struct kt_evidence_lock *lock;   /* added to the finding */
	bool cpu_spins;                        /* the CPU asked about spins on it */
	int32_t spinner_pid, spinner_cpu;      /* a task spinning on it (-1: none) */
	int32_t holder_pid, holder_cpu;        /* its likely holder (-1: unknown) */
	const char *holder_comm, *spinner_comm;
	const char *holder_where;              /* the holder's evidence, as text */
};

/* The spinlock cpu spins on or holds; false when memory shows none. */
bool kt_model_spin(struct kt_analysis *analysis, struct kt_finding_draft *f, int cpu,
		   struct kt_model_spin *out);
/* "; it spins on X, held by Y:pid ...: the culprit" for a lockup's CPU, or "". */
const char *kt_lockup_spin_text(struct kt_analysis *analysis, struct kt_finding_draft *f,
				int cpu);
/* The dump's wait-for graph (built once), or NULL. */
struct kt_lock_graph *kt_model_graph(struct kt_analysis *analysis);
/* Free what the model evidence cached (the lock graph). */
void kt_model_release(struct kt_analysis *analysis);

/* ---- Analyzers (registry.c) -------------------------------------------- */

struct kt_analyzer {
	const char *name;        /* the verdict it gives */
	/* Look at the facts (and the model) and add findings. */
	void (*analyze)(struct kt_analysis *analysis);
};

extern const struct kt_analyzer *const kt_analyzers[];
extern const size_t kt_nr_analyzers;

#endif
