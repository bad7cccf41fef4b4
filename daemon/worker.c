// SPDX-License-Identifier: MIT
/*
 * Workers: each probe or analysis runs in a forked child that reads the
 * (hostile) dump inside a sandbox (sandbox.c) and writes its answer to a
 * memfd the parent made: the report JSON, or an error message.  The parent
 * holds a wall-time timer per child and kills it at the limit.  Exit
 * statuses: 0 done, 1 the analysis failed (message), 3 a probe found the
 * dump not complete (message), 4 the sandbox could not be entered.
 *
 * The per-build cache (include/ktriage/build_cache.h, STATE/build-cache):
 * an analysis reads it, but its sandbox lets it create no file, so what it
 * decodes on a miss it writes into two unnamed files (O_TMPFILE) the parent
 * made there; after a worker that finished, the parent checks each entry
 * as a reader would and links it in.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktriage/analyzer.h"
#include "ktriage/build_cache.h"
#include "ktriage/dump.h"
#include "ktriage/kernel.h"
#include "ktriaged.h"

enum { EXIT_DONE = 0, EXIT_FAILED = 1, EXIT_NOT_READY = 3, EXIT_NO_SANDBOX = 4 };

/* A probe reads headers only: it never needs long. */
#define PROBE_TIMEOUT_SECONDS 60.0
/* A report larger than this is not a report. */
#define MAX_OUTPUT (256u << 20)

struct worker {
	struct manager *m;
	struct job *job;
	enum worker_mode mode;
	worker_done_fn done;
	struct worker **slot; /* the job's pointer to us, cleared when we end */
	pid_t pid;
	int memfd;
	int cache_fds[KT_BUILD_CACHE_KINDS]; /* -1 when there are none */
	double started, timeout;
	bool timed_out;
	sd_event_source *child, *timer;
};

/* ---- In the child ---------------------------------------------------- */

static void write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(EXIT_FAILED);
		data += n;
		len -= (size_t)n;
	}
}

static void fail_with(struct kt_error *err, int status)
{
	const char *msg = kt_error_string(err);
	write_all(3, msg, strlen(msg));
	_exit(status);
}

static void child_probe(const char *path)
{
	struct kt_dump *dump;
	struct kt_error *err = kt_dump_open(path, &dump);
	if (err)
		fail_with(err, EXIT_NOT_READY);
	const struct kt_dump_info *info = kt_dump_info(dump);
	if (info->truncated || info->incomplete)
		fail_with(kt_error_create(KT_ERR_MISSING, "%s: %s", path,
					  info->truncated ? "the file ends before its data"
							  : "makedumpfile flagged it incomplete"),
			  EXIT_NOT_READY);
	_exit(EXIT_DONE);
}

/* The cache's outputs are descriptors 4 and 5 (child_main). */
static const int cache_outputs[KT_BUILD_CACHE_KINDS] = { 4, 5 };

static void child_analyze(const char *path, const char *btf_dir, const char *cache_dir)
{
	struct kt_report *report;
	struct kt_build_cache_settings settings = { .dir = cache_dir, .outputs = cache_outputs };
	struct kt_kernel_cache cache = { &settings, kt_build_cache_fetch, kt_build_cache_keep };
	struct kt_kernel_options kernel = { .btf_dir = btf_dir,
					     .build_cache = cache_dir ? &cache : NULL };
	struct kt_error *err = kt_analyze_path(path, &(struct kt_analyze_options){
							     .kernel = &kernel },
					       &report);
	if (err)
		fail_with(err, EXIT_FAILED);
	struct json_object *json;
	if ((err = kt_report_to_json(report, &json)))
		fail_with(err, EXIT_FAILED);
	const char *text = json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE);
	write_all(3, text, strlen(text));
	/* _exit: no atexit handlers, no leak check, no flushing of shared stdio. */
	_exit(EXIT_DONE);
}

/* memfd becomes 3, the cache's outputs 4 and 5; false when they cannot. */
static bool child_descriptors(int memfd, const int *cache_fds)
{
	int high[KT_BUILD_CACHE_KINDS];
	for (int i = 0; cache_fds && i < KT_BUILD_CACHE_KINDS; i++)
		if ((high[i] = fcntl(cache_fds[i], F_DUPFD, 10)) < 0)
			return false;
	if (dup2(memfd, 3) < 0)
		return false;
	for (int i = 0; cache_fds && i < KT_BUILD_CACHE_KINDS; i++)
		if (dup2(high[i], cache_outputs[i]) < 0)
			return false;
	return true;
}

static void child_main(const char *path, const char *btf_dir, enum worker_mode mode, int memfd,
		       const char *cache_dir, const int *cache_fds,
		       pid_t parent, double timeout, unsigned long memory_mb)
{
	/* Die with the daemon: a kill -9 of it must not leave an orphan. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(EXIT_NO_SANDBOX);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (!cache_dir)
		cache_fds = NULL;
	if (!child_descriptors(memfd, cache_fds))
		_exit(EXIT_NO_SANDBOX);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
	}
	close_range(cache_fds ? 6 : 4, ~0U, 0);
	if (sandbox_enter(timeout, memory_mb) < 0) {
		static const char msg[] = "could not enter the worker sandbox";
		write_all(3, msg, sizeof(msg) - 1);
		_exit(EXIT_NO_SANDBOX);
	}
	if (mode == WORKER_PROBE)
		child_probe(path);
	child_analyze(path, btf_dir, cache_fds ? cache_dir : NULL);
}

/* ---- In the parent --------------------------------------------------- */

static void worker_free(struct worker *w)
{
	sd_event_source_disable_unref(w->child);
	sd_event_source_disable_unref(w->timer);
	if (w->memfd >= 0)
		close(w->memfd);
	for (int i = 0; i < KT_BUILD_CACHE_KINDS; i++)
		if (w->cache_fds[i] >= 0)
			close(w->cache_fds[i]);
	free(w);
}

/* Unnamed files in the cache directory for an analysis; false without. */
static bool open_cache_outputs(struct worker *w)
{
	const char *dir = w->m->build_cache_dir;
	for (int i = 0; dir && w->mode == WORKER_ANALYZE && i < KT_BUILD_CACHE_KINDS; i++)
		if ((w->cache_fds[i] = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0644)) < 0)
			return false;
	return dir && w->mode == WORKER_ANALYZE;
}

/* A worker that finished: what it wrote into the cache, checked and linked in. */
static void adopt_cache_outputs(struct worker *w)
{
	for (int i = 0; i < KT_BUILD_CACHE_KINDS; i++) {
		if (w->cache_fds[i] < 0)
			continue;
		struct kt_error *err = kt_build_cache_adopt(w->m->build_cache_dir, w->cache_fds[i],
							    KT_BUILD_CACHE_DEFAULT_BYTES);
		if (err && err->code != KT_ERR_NOT_FOUND)
			log_warning("worker %d: %s", (int)w->pid, kt_error_string(err));
		kt_error_free(err);
	}
}

static char *read_output(struct worker *w, size_t *len)
{
	struct stat st;
	*len = 0;
	if (fstat(w->memfd, &st) < 0 || st.st_size < 0 || (uint64_t)st.st_size > MAX_OUTPUT)
		return NULL;
	char *buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return NULL;
	ssize_t n = pread(w->memfd, buf, (size_t)st.st_size, 0);
	*len = n > 0 ? (size_t)n : 0;
	buf[*len] = '\0';
	return buf;
}

static char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *format(const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

static void decode_signal(struct worker *w, int sig, struct worker_result *r)
{
	if (w->timed_out) {
		r->outcome = KT_OUTCOME_TIMEOUT;
		r->reason = format("the analysis did not finish within its %g s wall-time limit",
				   w->timeout);
	} else if (sig == SIGXCPU) {
		r->outcome = KT_OUTCOME_TIMEOUT;
		r->reason = format("the analysis exceeded its CPU-time limit");
	} else if (sig == SIGSYS) {
		r->outcome = KT_OUTCOME_CRASHED;
		r->reason = format("the worker made a system call its sandbox forbids (SIGSYS)");
	} else {
		r->outcome = KT_OUTCOME_CRASHED;
		r->reason = format("the worker died of signal %d (%s)", sig, sigabbrev_np(sig)
				   ? sigabbrev_np(sig) : "?");
	}
}

static void decode_exit(struct worker *w, int status, char *out, size_t len,
			struct worker_result *r)
{
	r->outcome = KT_OUTCOME_TRIAGED;
	if (status == EXIT_DONE && w->mode == WORKER_PROBE) {
		r->probe_ready = true;
	} else if (status == EXIT_DONE) {
		enum json_tokener_error jerr;
		r->report = json_tokener_parse_verbose(out, &jerr);
		if (!r->report || !json_object_is_type(r->report, json_type_object)) {
			json_object_put(r->report);
			r->report = NULL;
			r->outcome = KT_OUTCOME_CRASHED;
			r->reason = format("the worker wrote an unreadable report (%zu bytes: %s)",
					   len, json_tokener_error_desc(jerr));
		}
	} else if (status == EXIT_NOT_READY && w->mode == WORKER_PROBE) {
		r->reason = format("%s", len ? out : "header incomplete");
	} else if (status == EXIT_FAILED && len) {
		r->outcome = KT_OUTCOME_FAILED;
		r->reason = format("%s", out);
	} else {
		r->outcome = KT_OUTCOME_CRASHED;
		r->reason = format("the worker exited with status %d%s%s", status,
				   len ? ": " : "", len ? out : "");
	}
}

static int on_child_exit(sd_event_source *s, const siginfo_t *si, void *userdata)
{
	struct worker *w = userdata;
	struct manager *m = w->m;
	/* Reap now; sd-event's own reaping afterwards finds nothing. */
	siginfo_t reaped;
	waitid(P_PID, (id_t)w->pid, &reaped, WEXITED | WNOHANG);
	struct worker_result r = { .started = w->started, .finished = now_realtime() };
	size_t len;
	char *out = read_output(w, &len);
	if (si->si_code == CLD_EXITED && si->si_status == EXIT_DONE)
		adopt_cache_outputs(w);
	if (si->si_code == CLD_EXITED)
		decode_exit(w, si->si_status, out ? out : (char *)"", len, &r);
	else
		decode_signal(w, si->si_status, &r);
	free(out);
	struct job *job = w->job;
	worker_done_fn done = w->done;
	log_debug("worker %d exited (%s)", (int)w->pid, r.reason ? r.reason : "ok");
	m->busy--;
	*w->slot = NULL;
	worker_free(w);
	done(m, job, &r);
	worker_result_clear(&r);
	return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct worker *w = userdata;
	log_warning("worker %d: wall-time limit of %g s reached, killing it",
		    (int)w->pid, w->timeout);
	w->timed_out = true;
	kill(w->pid, SIGKILL);
	return 0;
}

int worker_start(struct manager *m, struct job *job, const char *path,
		 enum worker_mode mode, worker_done_fn done, struct worker **out)
{
	struct worker *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	*w = (struct worker){ .m = m, .job = job, .mode = mode, .done = done,
			      .started = now_realtime(),
			      .cache_fds = { -1, -1 } };
	w->timeout = mode == WORKER_PROBE && m->config.timeout_seconds > PROBE_TIMEOUT_SECONDS
		     ? PROBE_TIMEOUT_SECONDS : m->config.timeout_seconds;
	w->memfd = memfd_create(mode == WORKER_PROBE ? "ktriage-probe" : "ktriage-report",
				MFD_CLOEXEC);
	if (w->memfd < 0) {
		int r = -errno;
		log_error("%s: memfd_create: %m", path);
		free(w);
		return r;
	}
	bool cache = open_cache_outputs(w);
	pid_t parent = getpid();
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		int r = -errno;
		log_error("%s: fork: %m", path);
		worker_free(w);
		return r;
	}
	if (pid == 0)
		child_main(path, m->btf_dir, mode, w->memfd, cache ? m->build_cache_dir : NULL,
			   w->cache_fds, parent, w->timeout, m->config.memory_limit_mb);
	w->pid = pid;
	int r = sd_event_add_child(m->event, &w->child, pid, WEXITED, on_child_exit, w);
	if (r >= 0)
		r = sd_event_add_time_relative(m->event, &w->timer, CLOCK_MONOTONIC,
					       (uint64_t)(w->timeout * 1e6), 1000,
					       on_timeout, w);
	if (r < 0) {
		log_error("%s: cannot follow worker %d: %s", path, (int)pid, strerror(-r));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		worker_free(w);
		return r;
	}
	m->busy++;
	w->slot = out;
	*out = w;
	log_debug("worker %d: %s %s", (int)pid, mode == WORKER_PROBE ? "probing" : "analysing",
		  path);
	return 0;
}

/* Stop a worker now (daemon stopping, job dropped); its callback is not called. */
void worker_kill(struct worker *w)
{
	kill(w->pid, SIGKILL);
	waitpid(w->pid, NULL, 0);
	w->m->busy--;
	worker_free(w);
}

void worker_result_clear(struct worker_result *r)
{
	free(r->reason);
	json_object_put(r->report);
	memset(r, 0, sizeof(*r));
}
