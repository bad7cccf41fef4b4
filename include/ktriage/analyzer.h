/* SPDX-License-Identifier: MIT */
/*
 * Analyzers: what killed the machine, the proof, what to do, and whether
 * the same crash has been seen before.
 *
 * An analysis reads the kernel log (always: from the dump's printk buffer,
 * or from a captured text log) and, when the input is a dump, the kernel
 * model (tasks, stacks, modules, later locks).  Each analyzer looks for one
 * pattern and emits findings; one finding is the primary verdict, the
 * others are secondary.  Sinks (CLI text and JSON, the daemon's database,
 * journal and report files) read findings only.
 *
 * Confidence is a number in [0, 1], reported with a band:
 *   low    < 0.5   the pattern is suggested, not shown
 *   medium < 0.8   the kernel's own messages show it (log only)
 *   high  >= 0.8   the log shows it and memory confirms it
 * A log alone never reaches "high": memory evidence is what raises it.
 */
#ifndef KTRIAGE_ANALYZER_H
#define KTRIAGE_ANALYZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ktriage/base.h"
#include "ktriage/kernel.h"

struct json_object;

/* Versions of what ktriage promises to keep stable (docs/signature.md). */
#define KT_REPORT_SCHEMA_VERSION 1
#define KT_SIGNATURE_VERSION 2

/* ---- Kernel log text ------------------------------------------------- */

/*
 * One message line of a kernel log with the capture's decorations removed:
 * syslog "<N>" levels, journal/syslog "Mon DD hh:mm:ss host kernel:"
 * prefixes, printk "[  12.345678]" times and caller ids, console noise
 * written before the timestamp.
 */
struct kt_log_line {
	const char *text;   /* the kernel's message, NUL-terminated */
	const char *raw;    /* the line as captured (for evidence) */
	uint64_t ts_nsec;   /* printk time, when has_timestamp */
	bool has_timestamp;
	int level;          /* 0..7, or -1 when the capture did not keep it */
	size_t number;      /* 1-based line in the input, or record seq */
};

struct kt_log_text;

/* Split a captured log (vmcore-dmesg.txt, dmesg.*, pstore, journal, console). */
struct kt_error *kt_log_text_parse(const char *text, size_t len,
				   struct kt_log_text **out);
/* The dump's own log: each record, split at its embedded newlines. */
struct kt_error *kt_log_text_from_records(const struct kt_log_record *records,
					  size_t count, struct kt_log_text **out);
void kt_log_text_free(struct kt_log_text *log);
size_t kt_log_text_count(const struct kt_log_text *log);
const struct kt_log_line *kt_log_text_line(const struct kt_log_text *log,
					   size_t index);
/* Does it look like a kernel log at all (and not a binary or random text)? */
bool kt_log_text_is_kernel_log(const struct kt_log_text *log);

/* ---- Findings -------------------------------------------------------- */

/* Where a piece of evidence comes from: a bit mask. */
enum kt_evidence_source {
	KT_FROM_LOG = 1 << 0,
	KT_FROM_MEMORY = 1 << 1,
};

struct kt_evidence_line {
	size_t number;      /* line or record in the input */
	bool has_timestamp;
	uint64_t ts_nsec;
	const char *text;   /* the message, decorations removed */
};

struct kt_evidence_frame {
	const char *function; /* as the kernel printed it, e.g. "fn.cold" */
	uint64_t offset, size;/* size 0 when unknown */
	const char *module;   /* NULL for the kernel image */
	bool reliable;        /* false: a '?' frame, or found by stack scan */
};

struct kt_evidence_task {
	int32_t pid;            /* -1 when unknown */
	const char *comm;
	const char *state;      /* "D", "R"... or NULL */
	const char *role;       /* "blocked", "owner of cgroup_mutex", "victim"... */
	int64_t blocked_seconds;/* -1 when unknown */
	const char *waits_on;   /* a lock, a primitive ("completion"), or NULL */
	const struct kt_evidence_frame *frames;
	size_t nr_frames;
	unsigned sources;       /* enum kt_evidence_source */
};

struct kt_evidence_lock {
	const char *symbol;     /* "cgroup_mutex", NULL when only the address is known */
	uint64_t address;       /* 0 when unknown */
	const char *kind;       /* "mutex", "rwsem", "percpu_rwsem", "rt_mutex" */
	int32_t owner_pid;      /* -1 none or unknown */
	const char *owner_comm;
	bool has_owner_word;
	uint64_t owner_word;    /* the raw owner field, flags included */
	const int32_t *waiter_pids;
	size_t nr_waiters;
	const char *note;       /* how it was found, what is wrong with it */
	unsigned sources;
};

/* A named fact: "rip", "fault_address", "module", "workqueue", "cgroup"... */
struct kt_fact {
	const char *key;
	const char *value;
	unsigned sources;       /* enum kt_evidence_source; 0 for registers */
};

struct kt_finding {
	const char *verdict;    /* the analyzer's name: "hung_task", "oom"... */
	const char *summary;    /* one line, as a kernel engineer writes it */
	double confidence;      /* [0, 1]; kt_confidence_band() names it */
	const char *signature;  /* "kt2:<16 hex>" (docs/signature.md) */
	bool primary;
	unsigned sources;       /* enum kt_evidence_source */
	const struct kt_evidence_line *lines;
	size_t nr_lines;
	const struct kt_evidence_task *tasks;
	size_t nr_tasks;
	const struct kt_evidence_lock *locks;
	size_t nr_locks;
	const struct kt_fact *facts;
	size_t nr_facts;
	const struct kt_fact *registers; /* "RIP" -> "0010:fn+0x3a/0x4b", "CR2"... */
	size_t nr_registers;
	const char *const *advice;
	size_t nr_advice;
};

const char *kt_confidence_band(double confidence); /* "low"|"medium"|"high" */

/* ---- Reports --------------------------------------------------------- */

struct kt_report_input {
	const char *file;
	const char *kind;           /* "dump" or "log" */
	const char *kernel_release; /* NULL when neither input says */
	const char *host;           /* the crashed machine's nodename (dumps), else NULL */
	const char *log_source;     /* "dump", "text" or "none" */
	const char *panic;          /* the panic message, NULL when none */
	bool partial;               /* some evidence could not be read */
};

struct kt_report;

struct kt_analyze_options {
	const struct kt_kernel_options *kernel; /* for dumps; may be NULL */
	/*
	 * The log kdump saved beside the dump (vmcore-dmesg.txt, dmesg.*), or
	 * NULL: read in place of the dump's own log when that one is unreadable
	 * or cut short of the panic.
	 */
	const char *saved_log;
	/*
	 * The same log as a descriptor the caller opened and keeps (saved_log,
	 * if set, only names it): how a sandboxed caller, which can open no
	 * file, passes it.  Read when greater than 0; 0 leaves saved_log to be
	 * opened by name.
	 */
	int saved_log_fd;
};

/*
 * Analyze a file: a dump when kt_dump_open accepts it, else a text log.
 * A file that is neither fails with the dump reader's error.
 */
struct kt_error *kt_analyze_path(const char *path,
				 const struct kt_analyze_options *options,
				 struct kt_report **out);
/* The same over a descriptor the caller opened and keeps; path names it. */
struct kt_error *kt_analyze_fd(int fd, const char *path,
			       const struct kt_analyze_options *options,
			       struct kt_report **out);
/* Analyze an open kernel model (its log and memory). */
struct kt_error *kt_analyze_kernel(struct kt_kernel *kernel, const char *file,
				   struct kt_report **out);
/* The same, with the text of the log saved beside the dump (see saved_log). */
struct kt_error *kt_analyze_kernel_saved(struct kt_kernel *kernel, const char *file,
					 const char *saved_text, size_t saved_len,
					 const char *saved_name, struct kt_report **out);
/* Analyze a captured log held in memory. */
struct kt_error *kt_analyze_log(const char *text, size_t len, const char *file,
				struct kt_report **out);
void kt_report_free(struct kt_report *report);

const struct kt_report_input *kt_report_input(const struct kt_report *report);
/* The primary finding: never NULL (at worst "unknown"). */
const struct kt_finding *kt_report_primary(const struct kt_report *report);
/* Every finding, the primary first. */
size_t kt_report_finding_count(const struct kt_report *report);
const struct kt_finding *kt_report_finding(const struct kt_report *report,
					   size_t index);
/* What could not be read or checked, one sentence each. */
size_t kt_report_note_count(const struct kt_report *report);
const char *kt_report_note(const struct kt_report *report, size_t index);

/* The report as schema/report.schema.json describes it. */
struct kt_error *kt_report_to_json(const struct kt_report *report,
				   struct json_object **out);
/* The report as text, to be read like a bug report. */
void kt_report_print(const struct kt_report *report, FILE *out);

/* The analyzers, in precedence order (the first explains a crash best). */
size_t kt_analyzer_count(void);
const char *kt_analyzer_name(size_t index);

#endif
