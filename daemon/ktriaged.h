/* SPDX-License-Identifier: MIT */
/*
 * ktriaged's parts, each one file: main.c (the sd-event loop, signals,
 * sd_notify), watch.c (inotify), queue.c (jobs: settle, probe, queue,
 * dispatch), worker.c (forked analysis), sandbox.c (seccomp, rlimits),
 * spool.c (requests from the CLI), outputs.c (what a finished job writes),
 * outbox.c (alerts, delivered once from the store), and the sinks:
 * report.c, journal.c, prometheus.c, hook.c.
 *
 * Functions return 0 or a negative errno, and log what failed and why.
 */
#ifndef KTRIAGED_H
#define KTRIAGED_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "ktriage/services.h"
#include "ktriage/kernel.h"

/* Log lines with sd-daemon's "<N>" prefixes: journald keeps the priority. */
void log_at(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_error(...) log_at(3, __VA_ARGS__)
#define log_warning(...) log_at(4, __VA_ARGS__)
#define log_notice(...) log_at(5, __VA_ARGS__)
#define log_info(...) log_at(6, __VA_ARGS__)
#define log_debug(...) log_at(7, __VA_ARGS__)
extern int log_max_priority;

/* A dump interrupted this many times (the daemon killed) is given up. */
#define MAX_ATTEMPTS 2

struct watch;
struct job;
struct worker;

/* Overrides given on the command line, applied over every (re)load. */
struct cli_overrides {
	char **watch;
	size_t nr_watch;
	const char *state_dir;
	const char *textfile;   /* --textfile FILE ("" disables) */
	unsigned workers;
};

struct manager {
	sd_event *event;
	const char *config_path;
	bool config_path_given;
	struct cli_overrides overrides;
	struct kt_config config;
	struct kt_store *store;
	char *reports_dir, *spool_dir;
	char *build_cache_dir; /* what workers decode per kernel build (worker.c) */
	char *btf_dir;  /* btf_keep.c: kernels' BTF by build ID */

	struct watch *watches;
	int inotify_fd;            /* every watch's, -1 until the first (watch.c) */
	sd_event_source *inotify_source;
	struct watch **watch_index; /* by watch descriptor */
	size_t nr_watch_index;
	sd_event_source *spool_source;
	sd_event_source *rescan_timer;
	sd_event_source *prometheus_defer;
	sd_event_source *pending_defer;
	bool textfile_usable;      /* its directory exists (checked at start, SIGHUP) */

	struct job *jobs;          /* every job not yet finished, oldest first */
	unsigned busy;             /* workers running (probes and analyses) */
	uint64_t nr_triaged, nr_failed; /* since start */
	uid_t worker_uid;          /* whom workers become when the daemon is root */
	gid_t worker_gid;
	bool stopping;
};

double now_realtime(void);

/* config: the file, then the command line. */
int manager_load_config(struct manager *m, struct kt_config *out);
int manager_reload(struct manager *m);
void manager_update_status(struct manager *m);

/* watch.c */
int watch_apply_config(struct manager *m);
void watch_scan_all(struct manager *m);
int watch_scan_tree(struct manager *m, const char *dir, unsigned depth,
		    bool pstore, bool add_watches, bool now);
void watch_free_all(struct manager *m);

/* queue.c */
enum job_origin { ORIGIN_EVENT, ORIGIN_SCAN, ORIGIN_REQUEST, ORIGIN_RETRIAGE };
int queue_add(struct manager *m, const char *path, bool pstore,
	      enum job_origin origin);
int queue_resume_unfinished(struct manager *m);
void queue_dispatch(struct manager *m);
unsigned queue_count(struct manager *m, bool running);
void queue_stop_all(struct manager *m);

/* worker.c */
enum worker_mode { WORKER_PROBE, WORKER_ANALYZE };
struct worker_result {
	enum kt_outcome outcome;
	char *reason;            /* failures, and why a probe was not ready */
	bool probe_ready;        /* probes: the header is complete */
	struct json_object *report; /* analyses that succeeded */
	double started, finished;
};
typedef void (*worker_done_fn)(struct manager *m, struct job *job,
			      struct worker_result *result);
/* dump_fd: the dump, opened and checked by the caller (who keeps it). */
int worker_start(struct manager *m, struct job *job, const char *path, int dump_fd,
		 enum worker_mode mode, worker_done_fn done, struct worker **out);
void worker_kill(struct worker *w);
void worker_result_clear(struct worker_result *r);

/* child.c: a forked child followed by the event loop, with a wall-time timer. */
struct supervised_child {
	pid_t pid;
	sd_event_source *exit_source, *timer;
};
struct child_spec {
	void (*body)(const void *arg); /* runs in the child; never returns */
	const void *arg;
	double timeout_seconds;
	uint64_t accuracy_usec;
	sd_event_child_handler_t on_exit;
	sd_event_time_handler_t on_timeout;
	void *userdata;
	const char *what;  /* for the log: "Alert hook", the dump's path */
	const char *noun;  /* "process", "worker" */
};
/* Fork and follow; 0, or -errno after logging (nothing left running). */
int child_start(sd_event *event, struct supervised_child *c, const struct child_spec *spec);
void child_reap(const struct supervised_child *c);
void child_kill(const struct supervised_child *c);
void child_release(struct supervised_child *c);

/* sandbox.c: called in the worker, after fork, before reading the dump. */
struct sandbox_limits {
	double timeout_seconds;
	unsigned long memory_limit_mb;
	uid_t uid;  /* whom a root daemon's worker becomes */
	gid_t gid;
};
/* The `nobody` user and group (before the fork: the sandbox has no files). */
void sandbox_worker_identity(uid_t *uid, gid_t *gid);
int sandbox_enter(const struct sandbox_limits *limits);

/* spool.c */
int spool_start(struct manager *m);
void spool_process_all(struct manager *m);

/* outputs.c: the job is done; write everything and record it. */
struct finished_job {
	int64_t dump_id;
	const char *path, *kind, *layout;
	const struct worker_result *result;
	bool already_stored;     /* the store recorded it (gave up on it) */
	const char *alert_id;    /* KTRIAGE_ID, when delivered from the outbox */
};
/* For a log line that names the path already: the reason without it. */
const char *reason_without_path(const char *path, const char *reason, char *buf, size_t size);
void outputs_record(struct manager *m, const struct finished_job *job);

/* outbox.c: deliver the store's pending alerts to the journal and the hook.
 * recovering: at start-up, alerts left by an earlier run (said in the log). */
void outbox_deliver(struct manager *m, bool recovering);
/* Fault injection for the tests: KTRIAGED_TEST_KILL_AT=name dies there. */
void fault_point(const char *name);

/* report.c: STATE/reports/ID.json, 0640, written atomically. */
int report_write(struct manager *m, int64_t dump_id, struct json_object *report,
		 char **path_out);
/* journal.c */
int journal_record(const struct finished_job *job, const char *report_path);
/* Is there an entry with this KTRIAGE_ID in the journal already? */
bool journal_has_alert(const char *alert_id);
/* prometheus.c: now, or once the current event is handled (the queue settled) */
int prometheus_write(struct manager *m);
void prometheus_schedule(struct manager *m);
/* Start-up and SIGHUP: is the textfile's directory there?  Says so once. */
void prometheus_check_directory(struct manager *m);
/* pending.c: STATE/queue.json, the jobs not finished yet, for ktriage list */
void pending_schedule(struct manager *m);
void pending_remove(struct manager *m);
struct json_object *queue_to_json(struct manager *m);
/* hook.c */
int hook_run(struct manager *m, const struct finished_job *job,
	     const char *report_path);

/* btf_keep.c: copy SYS_KERNEL/btf/vmlinux to BTF_DIR/BUILD-ID.btf once. */
int btf_keep_running(const char *btf_dir, const char *sys_kernel);

/* The kept files, opened for a worker whose sandbox will open nothing. */
#define KEPT_BTF_MAX 16
struct kept_btf_files {
	struct kt_kept_btf files[KEPT_BTF_MAX];
	char ids[KEPT_BTF_MAX][130];
	size_t count;
};
void open_kept_btf(const char *btf_dir, struct kept_btf_files *kept);

#endif
