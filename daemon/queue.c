// SPDX-License-Identifier: MIT
/*
 * The jobs: every input between "seen" and "recorded".
 *
 *   settling   size and mtime must stay unchanged for settle_seconds
 *   probe-wait a dump waits for a worker to check its header
 *   probing    a sandboxed worker runs kt_dump_open: is the header complete?
 *              If not, back to settling with a doubled delay, probe_retries
 *              times, then analysed anyway (a truncated dump is final too)
 *   queued     waits for a worker
 *   running    claimed in the store (state "running"), then analysed
 *
 * A file is one job however many events name it (jobs are keyed by device
 * and inode, so a rename while settling is the same job), and the store
 * says whether it was seen before.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ktriaged.h"

enum job_state { JOB_SETTLING, JOB_PROBE_WAIT, JOB_PROBING, JOB_QUEUED, JOB_RUNNING };

struct job {
	struct job *next, *prev;
	struct manager *m;
	char *path;
	struct kt_layout_match match;
	bool pstore;
	enum job_origin origin;
	enum job_state state;
	dev_t device;
	ino_t inode;
	off_t size;
	struct timespec mtime;
	unsigned probes;
	sd_event_source *timer;
	struct worker *worker;
	int64_t dump_id;
	double seen;             /* when it was first offered */
};

/* What `ktriage list` shows for a job not yet recorded (STATE/queue.json). */
static const char *const job_state_names[] = {
	[JOB_SETTLING] = "settling", [JOB_PROBE_WAIT] = "waiting",
	[JOB_PROBING] = "probing", [JOB_QUEUED] = "queued", [JOB_RUNNING] = "running",
};

static const char *kind_name(const struct job *job)
{
	return job->match.kind == KT_INPUT_LOG ? "log" : "dump";
}

static void job_free(struct job *job)
{
	struct manager *m = job->m;
	if (job->prev)
		job->prev->next = job->next;
	else
		m->jobs = job->next;
	if (job->next)
		job->next->prev = job->prev;
	sd_event_source_disable_unref(job->timer);
	if (job->worker)
		worker_kill(job->worker);
	free(job->path);
	free(job);
	pending_schedule(m);
}

static void job_append(struct manager *m, struct job *job)
{
	struct job **p = &m->jobs, *prev = NULL;
	while (*p) {
		prev = *p;
		p = &(*p)->next;
	}
	job->prev = prev;
	*p = job;
}

static struct job *find_job(struct manager *m, dev_t device, ino_t inode)
{
	for (struct job *job = m->jobs; job; job = job->next)
		if (job->device == device && job->inode == inode)
			return job;
	return NULL;
}

struct json_object *queue_to_json(struct manager *m)
{
	struct json_object *jobs = json_object_new_array();
	for (struct job *job = m->jobs; jobs && job; job = job->next) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "path", json_object_new_string(job->path));
		json_object_object_add(o, "kind", json_object_new_string(kind_name(job)));
		json_object_object_add(o, "state",
				       json_object_new_string(job_state_names[job->state]));
		json_object_object_add(o, "since", json_object_new_double(job->seen));
		json_object_array_add(jobs, o);
	}
	return jobs;
}

unsigned queue_count(struct manager *m, bool running)
{
	unsigned n = 0;
	for (struct job *job = m->jobs; job; job = job->next)
		n += (job->state == JOB_PROBING || job->state == JOB_RUNNING) == running;
	return n;
}

static int on_settle_timer(sd_event_source *s, uint64_t usec, void *userdata);

static void arm_timer(struct job *job, double seconds)
{
	uint64_t usec = seconds > 0 ? (uint64_t)(seconds * 1e6) : 0;
	if (job->timer) {
		sd_event_source_set_time_relative(job->timer, usec);
		sd_event_source_set_enabled(job->timer, SD_EVENT_ONESHOT);
		return;
	}
	int r = sd_event_add_time_relative(job->m->event, &job->timer, CLOCK_MONOTONIC,
					   usec, 10000, on_settle_timer, job);
	if (r < 0)
		log_error("%s: failed to arm a timer: %s", job->path, strerror(-r));
}

static bool read_head(const char *path, uint8_t head[KT_LAYOUT_HEAD_SIZE], size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	*len = 0;
	if (fd < 0)
		return false;
	ssize_t n = pread(fd, head, KT_LAYOUT_HEAD_SIZE, 0);
	close(fd);
	*len = n > 0 ? (size_t)n : 0;
	return true;
}

/*
 * A log beside a dump is not an input of its own: say nothing about it (a
 * rescan, SIGHUP or restart would otherwise announce it as new every time).
 * settled() asks again: the dump may be written after its log.
 */
static bool companion_beside_dump(const char *path, const struct kt_layout_match *match)
{
	if (match->kind != KT_INPUT_LOG || !match->companion)
		return false;
	char *copy = strdup(path);
	bool has = copy && kt_layout_dir_has_dump(dirname(copy));
	free(copy);
	return has;
}

/* Already in the store (triaged, failed, or awaiting a retry of its own)? */
static bool already_known(struct manager *m, const char *path)
{
	struct kt_dump_identity identity;
	struct kt_error *err = kt_dump_identity_read(path, &identity);
	if (err) {
		kt_error_free(err);
		return false;
	}
	int64_t id = 0;
	err = kt_store_lookup(m->store, &identity, &id);
	if (err) {
		log_error("%s", kt_error_string(err));
		kt_error_free(err);
		return false;
	}
	return id != 0;
}

int queue_add(struct manager *m, const char *path, bool pstore,
	      enum job_origin origin)
{
	struct stat st;
	if (m->stopping || lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	uint8_t head[KT_LAYOUT_HEAD_SIZE];
	size_t head_len;
	read_head(path, head, &head_len);
	struct kt_layout_match match = kt_layout_classify(path, pstore, head, head_len);
	if (match.kind == KT_INPUT_PARTIAL)
		log_debug("%s: still being written, waiting for its rename", path);
	if (match.kind != KT_INPUT_DUMP && match.kind != KT_INPUT_LOG)
		return 0;
	struct job *job = find_job(m, st.st_dev, st.st_ino);
	if (job) {
		/* Renamed or written again while we wait: look again later. */
		if (strcmp(job->path, path) != 0) {
			char *copy = strdup(path);
			if (copy) {
				free(job->path);
				job->path = copy;
			}
		}
		/* Asked for by name: its writer is done, stop waiting. */
		bool asked = origin == ORIGIN_REQUEST || origin == ORIGIN_RETRIAGE;
		if (asked && job->origin != ORIGIN_RETRIAGE)
			job->origin = origin;
		if (job->state == JOB_SETTLING && (asked || origin == ORIGIN_EVENT))
			arm_timer(job, asked ? 0 : m->config.settle_seconds);
		return 0;
	}
	if (origin != ORIGIN_RETRIAGE &&
	    (companion_beside_dump(path, &match) || already_known(m, path)))
		return 0;
	job = calloc(1, sizeof(*job));
	if (!job || !(job->path = strdup(path))) {
		free(job);
		return -ENOMEM;
	}
	*job = (struct job){ .m = m, .path = job->path, .match = match, .pstore = pstore,
			     .origin = origin, .state = JOB_SETTLING, .device = st.st_dev,
			     .inode = st.st_ino, .size = st.st_size, .mtime = st.st_mtim,
			     .seen = now_realtime() };
	job_append(m, job);
	pending_schedule(m);
	log_info("%s: new %s (%s layout)%s", path, kind_name(job), match.layout,
		 origin == ORIGIN_RETRIAGE ? ", to be triaged again" : "");
	arm_timer(job, 0);
	return 0;
}

static double age_of(const struct timespec *mtime)
{
	return now_realtime() - ((double)mtime->tv_sec + mtime->tv_nsec / 1e9);
}

/*
 * Only a file that starts like a dump can have a header still to come: one
 * that does not (text, empty, garbage) is decided at once by the analysis,
 * which says why, instead of being probed again and again.
 */
static bool may_still_grow_into_a_dump(const char *path)
{
	uint8_t head[KT_LAYOUT_HEAD_SIZE];
	size_t len;
	return read_head(path, head, &len) && kt_layout_dump_magic(head, len) != NULL;
}

static void settled(struct job *job)
{
	if (job->match.kind == KT_INPUT_LOG) {
		if (companion_beside_dump(job->path, &job->match)) {
			log_debug("%s: the log of a dump beside it: not triaged alone", job->path);
			job_free(job);
			return;
		}
		job->state = JOB_QUEUED;
	} else if (!may_still_grow_into_a_dump(job->path)) {
		log_debug("%s: no dump signature: analysed at once, not probed", job->path);
		job->state = JOB_QUEUED;
	} else {
		job->state = JOB_PROBE_WAIT;
	}
	queue_dispatch(job->m);
}

static int on_settle_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct job *job = userdata;
	struct manager *m = job->m;
	struct stat st;
	if (lstat(job->path, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_ino != job->inode || st.st_dev != job->device) {
		log_info("%s: gone before it was complete", job->path);
		job_free(job);
		manager_update_status(m);
		return 0;
	}
	bool changed = st.st_size != job->size || st.st_mtim.tv_sec != job->mtime.tv_sec ||
		       st.st_mtim.tv_nsec != job->mtime.tv_nsec;
	job->size = st.st_size;
	job->mtime = st.st_mtim;
	double wait = m->config.settle_seconds;
	/* Asked for by name (notify, retriage): its writer is done. */
	if (!changed && (job->origin == ORIGIN_REQUEST || job->origin == ORIGIN_RETRIAGE))
		wait = 0;
	double age = age_of(&job->mtime);
	if (changed || age < wait) {
		arm_timer(job, changed ? wait : wait - age);
		return 0;
	}
	settled(job);
	return 0;
}

/*
 * Open the dump for a worker: no symbolic link, no FIFO or device (O_NONBLOCK
 * keeps a FIFO from blocking the daemon), and the very file that settled:
 * the same device, inode and size.  Anything else is a file swapped in
 * since, and is looked at afresh.  Returns the descriptor or -1.
 */
static int open_settled(struct job *job)
{
	int fd = open(job->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	const char *why = NULL;
	if (fd < 0)
		why = strerror(errno);
	else if (fstat(fd, &st) < 0)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode) || st.st_dev != job->device || st.st_ino != job->inode)
		why = "another file has its name now";
	else if (st.st_size != job->size)
		why = "its size changed after it settled";
	if (!why)
		return fd;
	log_warning("%s: not read: %s", job->path, why);
	if (fd >= 0)
		close(fd);
	return -1;
}

/* The file under the job's name changed: forget the job, look at the name again. */
static void replaced(struct manager *m, struct job *job)
{
	char *path = strdup(job->path);
	bool pstore = job->pstore;
	job_free(job);
	if (path)
		queue_add(m, path, pstore, ORIGIN_SCAN);
	free(path);
}

/* ---- Probing --------------------------------------------------------- */

static void probe_done(struct manager *m, struct job *job, struct worker_result *r)
{
	if (m->stopping)
		return;
	char why[1024];
	if (r->probe_ready || r->outcome != KT_OUTCOME_TRIAGED) {
		/* Ready, or the probe itself died: the analysis will say why. */
		job->state = JOB_QUEUED;
	} else if (++job->probes > m->config.probe_retries) {
		log_notice("%s: %s; analysing it anyway after %u checks", job->path,
			   reason_without_path(job->path, r->reason ?: "header incomplete",
						   why, sizeof(why)), job->probes);
		job->state = JOB_QUEUED;
	} else {
		/* Doubling from the settle time, at most a minute. */
		double delay = m->config.settle_seconds > 0.25 ? m->config.settle_seconds : 0.25;
		for (unsigned i = 0; i < job->probes && delay < 60; i++)
			delay *= 2;
		if (delay > 60)
			delay = 60;
		log_info("%s: not complete yet (%s); checking again in %.1f s", job->path,
			 reason_without_path(job->path, r->reason ?: "header incomplete",
						   why, sizeof(why)), delay);
		job->state = JOB_SETTLING;
		arm_timer(job, delay);
	}
	queue_dispatch(m);
}

/* ---- Analysis -------------------------------------------------------- */

static void analysis_done(struct manager *m, struct job *job, struct worker_result *r)
{
	if (m->stopping)
		return;
	const struct finished_job done = {
		.dump_id = job->dump_id, .path = job->path, .kind = kind_name(job),
		.layout = job->match.layout, .result = r,
	};
	outputs_record(m, &done);
	if (r->outcome == KT_OUTCOME_TRIAGED)
		m->nr_triaged++;
	else
		m->nr_failed++;
	job_free(job);
	queue_dispatch(m);
}

static void record_unstartable(struct manager *m, struct job *job, const char *why)
{
	struct worker_result r = { .outcome = KT_OUTCOME_CRASHED, .reason = (char *)why,
				   .started = now_realtime(), .finished = now_realtime() };
	const struct finished_job done = {
		.dump_id = job->dump_id, .path = job->path, .kind = kind_name(job),
		.layout = job->match.layout, .result = &r,
	};
	outputs_record(m, &done);
	m->nr_failed++;
}

static void run_analysis(struct manager *m, struct job *job, int fd);

/* Claim the dump in the store, then fork: a kill -9 between is retried. */
static void start_analysis(struct manager *m, struct job *job)
{
	int fd = open_settled(job);
	if (fd < 0) {
		replaced(m, job);
		return;
	}
	run_analysis(m, job, fd);
	close(fd);
}

static void run_analysis(struct manager *m, struct job *job, int fd)
{
	struct kt_store_input input = { .path = job->path, .kind = kind_name(job),
					.layout = job->match.layout };
	struct kt_error *err = kt_dump_identity_read_fd(fd, job->path, &input.identity);
	enum kt_claim claim = KT_CLAIM_KNOWN;
	if (!err)
		err = kt_store_claim(m->store, &input, MAX_ATTEMPTS, now_realtime(),
				     &job->dump_id, &claim);
	if (err) {
		log_error("%s: not triaged: %s", job->path, kt_error_string(err));
		kt_error_free(err);
		job_free(job);
		return;
	}
	if (claim == KT_CLAIM_KNOWN) {
		log_debug("%s: already triaged", job->path);
		job_free(job);
		return;
	}
	if (claim == KT_CLAIM_GAVE_UP) {
		log_warning("%s: interrupted %d times: recorded as failed", job->path,
			    MAX_ATTEMPTS);
		char reason[160];
		snprintf(reason, sizeof(reason), "the analysis was interrupted %d times "
			 "(the daemon died during it); not retried", MAX_ATTEMPTS);
		struct worker_result r = { .outcome = KT_OUTCOME_CRASHED, .reason = reason,
					   .started = now_realtime(), .finished = now_realtime() };
		const struct finished_job done = {
			.dump_id = job->dump_id, .path = job->path, .kind = kind_name(job),
			.layout = job->match.layout, .result = &r, .already_stored = true,
		};
		outputs_record(m, &done);
		m->nr_failed++;
		job_free(job);
		return;
	}
	job->state = JOB_RUNNING;
	log_info("%s: analysing (dump %lld)", job->path, (long long)job->dump_id);
	int r = worker_start(m, job, job->path, fd, WORKER_ANALYZE, analysis_done, &job->worker);
	if (r < 0) {
		char why[128];
		snprintf(why, sizeof(why), "could not start a worker: %s", strerror(-r));
		record_unstartable(m, job, why);
		job_free(job);
	}
}

static void start_probe(struct manager *m, struct job *job)
{
	int fd = open_settled(job);
	if (fd < 0) {
		replaced(m, job);
		return;
	}
	job->state = JOB_PROBING;
	if (worker_start(m, job, job->path, fd, WORKER_PROBE, probe_done, &job->worker) < 0)
		job->state = JOB_QUEUED; /* the analysis will meet the same fate */
	close(fd);
}

void queue_dispatch(struct manager *m)
{
	while (!m->stopping && m->busy < m->config.workers) {
		struct job *job = m->jobs;
		while (job && job->state != JOB_PROBE_WAIT && job->state != JOB_QUEUED)
			job = job->next;
		if (!job)
			break;
		if (job->state == JOB_QUEUED) {
			start_analysis(m, job);
			continue;
		}
		start_probe(m, job);
	}
	manager_update_status(m);
}

/* Dumps that were queued or running when the daemon last stopped. */
int queue_resume_unfinished(struct manager *m)
{
	const struct kt_store_filter filter = { .unfinished_only = true };
	struct kt_store_entry *entries;
	size_t count;
	struct kt_error *err = kt_store_list(m->store, &filter, &entries, &count);
	if (err) {
		log_error("%s", kt_error_string(err));
		kt_error_free(err);
		return -EIO;
	}
	for (size_t i = 0; i < count; i++) {
		struct kt_store_entry *e = &entries[i];
		struct kt_dump_identity now;
		err = kt_dump_identity_read(e->path, &now);
		const char *why = err ? "the file is gone"
			: !kt_dump_identity_equal(&now, &e->identity)
				? "the file changed before it was triaged" : NULL;
		if (why) {
			char reason[512];
			snprintf(reason, sizeof(reason), "%s (%s)", why,
				 err ? kt_error_string(err) : "another dump now has its name");
			struct worker_result r = { .outcome = KT_OUTCOME_FAILED, .reason = reason,
						   .started = now_realtime(),
						   .finished = now_realtime() };
			const struct finished_job done = { .dump_id = e->id, .path = e->path,
							   .kind = e->kind, .layout = e->layout,
							   .result = &r };
			outputs_record(m, &done);
			kt_error_free(err);
			queue_add(m, e->path, strcmp(e->layout, "pstore") == 0, ORIGIN_SCAN);
			continue;
		}
		log_info("%s: %s when the daemon stopped; resuming", e->path,
			 strcmp(e->state, "running") == 0 ? "was being analysed" : "was queued");
		queue_add(m, e->path, strcmp(e->layout, "pstore") == 0, ORIGIN_RETRIAGE);
	}
	kt_store_entries_free(entries, count);
	return 0;
}

/* SIGTERM: kill the workers; their dumps go back to queued, attempt unspent. */
void queue_stop_all(struct manager *m)
{
	m->stopping = true;
	while (m->jobs) {
		struct job *job = m->jobs;
		if (job->state == JOB_RUNNING && job->dump_id) {
			struct kt_error *err = kt_store_release(m->store, job->dump_id);
			if (err) {
				log_error("%s", kt_error_string(err));
				kt_error_free(err);
			}
		}
		job_free(job);
	}
}
