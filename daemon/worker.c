// SPDX-License-Identifier: MIT
/*
 * Workers: each probe or analysis runs in a forked child that reads the
 * (hostile) dump inside a sandbox (sandbox.c) and writes its answer to a
 * memfd the parent made: the report JSON, or an error message.  The parent
 * opens the dump (queue.c) and the child reads only that descriptor: it
 * never opens anything once sandboxed (the kept BTF and the log kdump saved
 * beside the dump are opened before the sandbox, and read as descriptors).  Its stderr is a pipe the parent reads and logs,
 * escaped and bounded, so nothing it prints reaches the journal raw.  The
 * parent holds a wall-time timer per child and kills it at the limit.  Exit
 * statuses: 0 done, 1 the analysis failed (message), 3 a probe found the
 * dump not complete (message), 4 the sandbox could not be entered.
 *
 * The per-build cache (include/ktriage/build_cache.h, STATE/build-cache):
 * the sandbox opens and creates nothing, so an analysis reads the cache's
 * entries through descriptors opened before the sandbox closes, and what it
 * decodes on a miss it writes into two unnamed files (O_TMPFILE) the parent
 * made there; after a worker that finished, the parent checks each entry as
 * a reader would and links it in.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktriage/analyzer.h"
#include "ktriage/dump.h"
#include "ktriage/kernel.h"
#include "ktriage/services.h"
#include "ktriaged.h"

enum { EXIT_DONE = 0, EXIT_FAILED = 1, EXIT_NOT_READY = 3, EXIT_NO_SANDBOX = 4 };

/* A probe reads headers only: it never needs long. */
#define PROBE_TIMEOUT_SECONDS 60.0
/* A report larger than this is not a report. */
#define MAX_OUTPUT (256u << 20)
/* What is logged of a worker's stderr; the rest is read and dropped. */
#define MAX_STDERR_LOGGED (16u << 10)
/* The descriptors a worker is given. */
enum { FD_OUTPUT = 3, FD_DUMP = 4, FD_CACHE_OUT = 5 /* and 6 */, FD_FIRST_FREE = 7 };

struct worker {
	struct manager *m;
	struct job *job;
	enum worker_mode mode;
	worker_done_fn done;
	struct worker **slot; /* the job's pointer to us, cleared when we end */
	struct supervised_child child;
	int memfd;
	int stderr_fd;              /* the read end of the worker's stderr */
	int cache_fds[KT_BUILD_CACHE_KINDS]; /* -1 when there are none */
	char stderr_line[512];
	size_t stderr_len, stderr_logged;
	double started, timeout;
	bool timed_out;
	sd_event_source *stderr_source;
};

/* ---- In the child ---------------------------------------------------- */

/* The child's output: a worker that cannot hand in its result has failed. */
static void write_all(int fd, const char *data, size_t len)
{
	if (kt_write_all(fd, data, len) < 0)
		_exit(EXIT_FAILED);
}

static void fail_with(struct kt_error *err, int status)
{
	const char *msg = kt_error_string(err);
	write_all(FD_OUTPUT, msg, strlen(msg));
	_exit(status);
}

static void child_probe(const char *path)
{
	struct kt_dump *dump;
	struct kt_error *err = kt_dump_open_fd(FD_DUMP, path, &dump);
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

/*
 * The log kdump saved beside the dump (it stands in for a cut or unreadable
 * one), opened before the sandbox closes, as the dump was by the parent: the
 * sandboxed worker reads it only through this descriptor.  -1: none; name
 * gets its path, for the report's note.
 */
static int open_companion(const char *path, char *name, size_t size)
{
	if (!kt_layout_companion_log(path, name, size) || strcmp(name, path) == 0)
		return -1;
	int fd = open(name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* The cache's outputs (child_descriptors); its entries, opened before the sandbox. */
static const int cache_outputs[KT_BUILD_CACHE_KINDS] = { FD_CACHE_OUT, FD_CACHE_OUT + 1 };
static struct kt_build_cache_input cache_inputs[KT_BUILD_CACHE_MAX_INPUTS];

static void child_analyze(const char *path, const struct kept_btf_files *kept,
			  int log_fd, const char *log_name, const struct kt_build_cache_settings *cache)
{
	struct kt_report *report;
	struct kt_kernel_cache hooks = { (void *)cache, kt_build_cache_fetch, kt_build_cache_keep };
	struct kt_kernel_options kernel = { .kept_btf = kept->files, .nr_kept_btf = kept->count,
					     .build_cache = cache ? &hooks : NULL };
	struct kt_analyze_options options = { .kernel = &kernel };
	if (log_fd > 0) {
		options.saved_log = log_name;
		options.saved_log_fd = log_fd;
	}
	struct kt_error *err = kt_analyze_fd(FD_DUMP, path, &options, &report);
	if (err)
		fail_with(err, EXIT_FAILED);
	struct json_object *json;
	if ((err = kt_report_to_json(report, &json)))
		fail_with(err, EXIT_FAILED);
	const char *text = json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE);
	write_all(FD_OUTPUT, text, strlen(text));
	/* _exit: no atexit handlers, no leak check, no flushing of shared stdio. */
	_exit(EXIT_DONE);
}

struct child_setup {
	const char *path;
	const char *btf_dir;
	enum worker_mode mode;
	int memfd, dump_fd, stderr_fd;
	const int *cache_fds; /* NULL: no build cache */
	const char *cache_dir;
	pid_t parent;
	struct sandbox_limits limits;
};

/* The cache's outputs moved to 5 and 6 (from above 16: see child_descriptors). */
static bool cache_descriptors(const int *cache_fds)
{
	int high[KT_BUILD_CACHE_KINDS];
	for (int i = 0; cache_fds && i < KT_BUILD_CACHE_KINDS; i++)
		if ((high[i] = fcntl(cache_fds[i], F_DUPFD, 16)) < 0)
			return false;
	for (int i = 0; cache_fds && i < KT_BUILD_CACHE_KINDS; i++)
		if (dup2(high[i], cache_outputs[i]) < 0)
			return false;
	return true;
}

/*
 * The worker's descriptors: 0 and 1 /dev/null, 2 the pipe, 3 its output,
 * 4 the dump, 5 and 6 the build cache's outputs when there is a cache.
 */
static bool child_descriptors(const struct child_setup *c)
{
	/* Moved above the targets first: a source may be one of 0..6. */
	int err = fcntl(c->stderr_fd, F_DUPFD, 16), out = fcntl(c->memfd, F_DUPFD, 16);
	int dump = fcntl(c->dump_fd, F_DUPFD, 16);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (err < 0 || out < 0 || dump < 0 || null < 0 || !cache_descriptors(c->cache_fds) ||
	    dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(err, 2) < 0 ||
	    dup2(out, FD_OUTPUT) < 0 || dup2(dump, FD_DUMP) < 0)
		return false;
	close_range(c->cache_fds ? FD_FIRST_FREE : FD_CACHE_OUT, ~0U, 0);
	return true;
}

static void child_main(const void *arg)
{
	const struct child_setup *c = arg;
	/* Die with the daemon: a kill -9 of it must not leave an orphan. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != c->parent)
		_exit(EXIT_NO_SANDBOX);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (!child_descriptors(c))
		_exit(EXIT_NO_SANDBOX);
	/* The sandbox opens nothing: the BTF kept for earlier kernels is opened now. */
	struct kept_btf_files kept = { 0 };
	static char log_name[4096];
	int log_fd = -1;
	struct kt_build_cache_settings cache = { .dir = c->cache_dir, .outputs = cache_outputs,
						 .inputs = cache_inputs, .sealed = true };
	if (c->mode == WORKER_ANALYZE) {
		open_kept_btf(c->btf_dir, &kept);
		log_fd = open_companion(c->path, log_name, sizeof(log_name));
		if (c->cache_fds)
			cache.nr_inputs = kt_build_cache_open_inputs(c->cache_dir, cache_inputs,
								     KT_BUILD_CACHE_MAX_INPUTS);
	}
	int r = sandbox_enter(&c->limits);
	if (r < 0) {
		char msg[128];
		snprintf(msg, sizeof(msg), "could not enter the worker sandbox: %s",
			 strerror(-r));
		write_all(FD_OUTPUT, msg, strlen(msg));
		_exit(EXIT_NO_SANDBOX);
	}
	if (getppid() != c->parent) /* the daemon died before the signal was set again */
		_exit(EXIT_NO_SANDBOX);
	if (c->mode == WORKER_PROBE)
		child_probe(c->path);
	child_analyze(c->path, &kept, log_fd, log_name, c->cache_fds ? &cache : NULL);
}

/* ---- In the parent --------------------------------------------------- */

static void worker_free(struct worker *w)
{
	child_release(&w->child);
	sd_event_source_disable_unref(w->stderr_source);
	if (w->memfd >= 0)
		close(w->memfd);
	if (w->stderr_fd >= 0)
		close(w->stderr_fd);
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
			log_warning("worker %d: %s", (int)w->child.pid, kt_error_string(err));
		kt_error_free(err);
	}
}

static void flush_stderr_line(struct worker *w)
{
	if (!w->stderr_len)
		return;
	if (w->stderr_logged < MAX_STDERR_LOGGED)
		log_warning("worker %d: %.*s", (int)w->child.pid, (int)w->stderr_len, w->stderr_line);
	else if (w->stderr_logged - w->stderr_len < MAX_STDERR_LOGGED)
		log_warning("worker %d: more than %u bytes on stderr; the rest is dropped",
			    (int)w->child.pid, MAX_STDERR_LOGGED);
	w->stderr_len = 0;
}

/* Lines of the worker's stderr, each one log line (log_at escapes them). */
static void drain_stderr(struct worker *w)
{
	char buf[4096];
	ssize_t n;
	while (w->stderr_fd >= 0 && (n = read(w->stderr_fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			w->stderr_logged++;
			if (buf[i] == '\n' || w->stderr_len == sizeof(w->stderr_line))
				flush_stderr_line(w);
			if (buf[i] != '\n')
				w->stderr_line[w->stderr_len++] = buf[i];
		}
	}
}

static int on_worker_stderr(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct worker *w = userdata;
	drain_stderr(w);
	if (revents & (EPOLLHUP | EPOLLERR)) {
		flush_stderr_line(w);
		w->stderr_source = sd_event_source_disable_unref(w->stderr_source);
	}
	return 0;
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
	child_reap(&w->child);
	struct worker_result r = { .started = w->started, .finished = now_realtime() };
	drain_stderr(w);
	flush_stderr_line(w);
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
	log_debug("worker %d exited (%s)", (int)w->child.pid, r.reason ? r.reason : "ok");
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
		    (int)w->child.pid, w->timeout);
	w->timed_out = true;
	kill(w->child.pid, SIGKILL);
	return 0;
}

static int make_worker_fds(struct worker *w, const char *path, int *stderr_write)
{
	w->memfd = memfd_create(w->mode == WORKER_PROBE ? "ktriage-probe" : "ktriage-report",
				MFD_CLOEXEC);
	int pipe_fds[2];
	if (w->memfd < 0 || pipe2(pipe_fds, O_CLOEXEC) < 0) {
		int r = -errno;
		log_error("%s: cannot make the worker's descriptors: %m", path);
		return r;
	}
	w->stderr_fd = pipe_fds[0];
	*stderr_write = pipe_fds[1];
	return fcntl(w->stderr_fd, F_SETFL, O_NONBLOCK) < 0 ? -errno : 0;
}

static int follow_stderr(struct manager *m, struct worker *w)
{
	return sd_event_add_io(m->event, &w->stderr_source, w->stderr_fd, EPOLLIN,
			       on_worker_stderr, w);
}

int worker_start(struct manager *m, struct job *job, const char *path, int dump_fd,
		 enum worker_mode mode, worker_done_fn done, struct worker **out)
{
	struct worker *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	*w = (struct worker){ .m = m, .job = job, .mode = mode, .done = done,
			      .started = now_realtime(), .memfd = -1, .stderr_fd = -1,
			      .cache_fds = { -1, -1 } };
	w->timeout = mode == WORKER_PROBE && m->config.timeout_seconds > PROBE_TIMEOUT_SECONDS
		     ? PROBE_TIMEOUT_SECONDS : m->config.timeout_seconds;
	int stderr_write = -1;
	int r = make_worker_fds(w, path, &stderr_write);
	if (r < 0) {
		if (stderr_write >= 0)
			close(stderr_write);
		worker_free(w);
		return r;
	}
	bool cache = open_cache_outputs(w); /* without them, no cache: it is only speed */
	const struct child_setup setup = {
		.path = path, .btf_dir = m->btf_dir, .mode = mode, .memfd = w->memfd, .dump_fd = dump_fd,
		.stderr_fd = stderr_write, .parent = getpid(),
		.cache_fds = cache ? w->cache_fds : NULL, .cache_dir = m->build_cache_dir,
		.limits = { .timeout_seconds = w->timeout,
			    .memory_limit_mb = m->config.memory_limit_mb,
			    .uid = m->worker_uid, .gid = m->worker_gid },
	};
	const struct child_spec spec = {
		.body = child_main, .arg = &setup, .timeout_seconds = w->timeout,
		.accuracy_usec = 1000, .on_exit = on_child_exit, .on_timeout = on_timeout,
		.userdata = w, .what = path, .noun = "worker",
	};
	r = child_start(m->event, &w->child, &spec);
	close(stderr_write);
	if (r >= 0 && (r = follow_stderr(m, w)) < 0) {
		log_error("%s: cannot follow worker %d: %s", path, (int)w->child.pid, strerror(-r));
		child_kill(&w->child);
	}
	if (r < 0) {
		worker_free(w);
		return r;
	}
	pid_t pid = w->child.pid;
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
	child_kill(&w->child);
	w->m->busy--;
	worker_free(w);
}

void worker_result_clear(struct worker_result *r)
{
	free(r->reason);
	json_object_put(r->report);
	memset(r, 0, sizeof(*r));
}
