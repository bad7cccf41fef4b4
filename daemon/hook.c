// SPDX-License-Identifier: MIT
/*
 * The alert hook: an optional shell command run for every finished dump,
 * with the JSON report on standard input (for a dump that could not be
 * triaged, {"file", "outcome", "reason"}) and KTRIAGE_ID (the alert's stable
 * id: a repeat after a crash has the same), KTRIAGE_DUMP, KTRIAGE_DUMP_ID,
 * KTRIAGE_OUTCOME, KTRIAGE_VERDICT, KTRIAGE_SIGNATURE, KTRIAGE_REPORT in its
 * environment.  It runs inside the unit's sandbox (no network there: a hook
 * that posts an alert hands it to a local relay, or the unit gets a drop-in)
 * and is killed after hook_timeout_seconds.
 */
#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktriage/base.h"
#include "ktriaged.h"

struct hook {
	struct supervised_child child;
	double timeout;
};

/* What the child needs: the command, its input, the job's fields. */
struct hook_setup {
	const char *command;
	int input;
	const struct finished_job *job;
	const char *report_path;
};

static void hook_free(struct hook *h)
{
	child_release(&h->child);
	free(h);
}

static int on_hook_exit(sd_event_source *s, const siginfo_t *si, void *userdata)
{
	struct hook *h = userdata;
	child_reap(&h->child);
	if (si->si_code != CLD_EXITED)
		log_warning("Alert hook %d killed by signal %d", (int)h->child.pid, si->si_status);
	else if (si->si_status != 0)
		log_warning("Alert hook %d exited with status %d", (int)h->child.pid,
			    si->si_status);
	hook_free(h);
	return 0;
}

static int on_hook_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct hook *h = userdata;
	log_warning("Alert hook %d still running after %.0f s: killing it", (int)h->child.pid,
		    h->timeout);
	kill(h->child.pid, SIGKILL);
	return 0;
}

/* What the hook reads on stdin. */
static char *hook_input(const struct finished_job *job)
{
	const struct worker_result *r = job->result;
	if (r->outcome == KT_OUTCOME_TRIAGED && r->report)
		return strdup(json_object_to_json_string_ext(r->report,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	struct json_object *o = json_object_new_object();
	kt_json_add_path(o, "file", job->path);
	json_object_object_add(o, "outcome", json_object_new_string(kt_outcome_name(r->outcome)));
	json_object_object_add(o, "reason", kt_json_escaped(r->reason));
	char *text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return text;
}

/* Escaped, as every output (escape.h); a path's raw bytes in KEY_BASE64. */
static void set_env(const char *key, const char *value)
{
	char *escaped = value ? kt_escape(value) : NULL;
	if (escaped)
		setenv(key, escaped, 1);
	free(escaped);
}

static void set_env_raw_path(const char *key, const char *path)
{
	if (!kt_escape_needed(path, strlen(path), 0))
		return;
	char *raw = kt_base64(path, strlen(path));
	if (raw)
		setenv(key, raw, 1);
	free(raw);
}

static void hook_child(const void *arg)
{
	const struct hook_setup *setup = arg;
	const struct finished_job *job = setup->job;
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(setup->input, 0) < 0)
		_exit(127);
	close_range(3, ~0U, 0);
	/* The daemon's ambient capabilities (the unit's) are not the hook's. */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	char id[32];
	snprintf(id, sizeof(id), "%lld", (long long)job->dump_id);
	set_env("KTRIAGE_ID", job->alert_id);
	set_env("KTRIAGE_DUMP", job->path);
	set_env_raw_path("KTRIAGE_DUMP_BASE64", job->path);
	set_env("KTRIAGE_DUMP_ID", id);
	set_env("KTRIAGE_OUTCOME", kt_outcome_name(job->result->outcome));
	struct kt_report_fields report;
	kt_report_json_fields(job->result->report, &report);
	set_env("KTRIAGE_VERDICT", report.verdict);
	set_env("KTRIAGE_SIGNATURE", report.signature);
	set_env("KTRIAGE_REPORT", setup->report_path);
	execl("/bin/sh", "sh", "-c", setup->command, (char *)NULL);
	_exit(127);
}

int hook_run(struct manager *m, const struct finished_job *job, const char *report_path)
{
	const char *command = m->config.hook;
	if (!command || !*command)
		return 0;
	char *input = hook_input(job);
	int fd = memfd_create("ktriage-hook-input", MFD_CLOEXEC);
	if (!input || fd < 0 || write(fd, input, strlen(input)) < 0 ||
	    lseek(fd, 0, SEEK_SET) < 0) {
		log_error("Alert hook: cannot prepare its input: %m");
		free(input);
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	free(input);
	struct hook *h = calloc(1, sizeof(*h));
	if (!h) {
		close(fd);
		return -ENOMEM;
	}
	h->timeout = m->config.hook_timeout_seconds;
	const struct hook_setup setup = {
		.command = command, .input = fd, .job = job, .report_path = report_path,
	};
	const struct child_spec spec = {
		.body = hook_child, .arg = &setup, .timeout_seconds = h->timeout,
		.accuracy_usec = 100000, .on_exit = on_hook_exit, .on_timeout = on_hook_timeout,
		.userdata = h, .what = "Alert hook", .noun = "process",
	};
	int r = child_start(m->event, &h->child, &spec);
	close(fd);
	if (r < 0)
		free(h);
	return r < 0 ? r : 0;
}
