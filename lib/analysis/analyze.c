// SPDX-License-Identifier: MIT
/*
 * The driver: read the input (a dump, or a text log), parse the log once,
 * run every analyzer in the table's order, pick the primary verdict and
 * seal the findings with their signatures.
 *
 * The primary verdict is the finding that explains the end of the machine:
 * first the one the panic message belongs to, then an oops that killed a
 * task, then anything else; among equals the analyzer earlier in the table
 * (the more specific pattern) wins, then the earlier event.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"

/* The window of a text log that is read (read_text_fd). */
#define MAX_TEXT_LOG (8u << 20)
/* A log alone shows a pattern; only memory proves it (analyzer.h). */
#define LOG_ONLY_CONFIDENCE_CAP 0.75
/* Kernel model warnings copied into the notes; a damaged dump can have hundreds. */
#define MAX_WARNING_NOTES 8

const char *kt_confidence_band(double confidence)
{
	return confidence >= 0.8 ? "high" : confidence >= 0.5 ? "medium" : "low";
}

size_t kt_analyzer_count(void)
{
	return kt_nr_analyzers;
}

const char *kt_analyzer_name(size_t index)
{
	return index < kt_nr_analyzers ? kt_analyzers[index]->name : NULL;
}

static struct kt_report *report_new(const char *file, const char *kind)
{
	struct kt_report *report = calloc(1, sizeof(*report));
	if (!report)
		return NULL;
	report->arena = kt_arena_new();
	if (!report->arena) {
		free(report);
		return NULL;
	}
	report->input.file = kt_arena_strdup(report->arena, file ? file : "-");
	report->input.kind = kind;
	report->input.log_source = "none";
	return report;
}

void kt_report_free(struct kt_report *report)
{
	if (!report)
		return;
	kt_log_text_free(report->log);
	kt_arena_free(report->arena);
	free(report);
}

/* a before b in the report's order? */
static bool comes_first(const struct kt_finding_draft *a, const struct kt_finding_draft *b)
{
	if (a->claim != b->claim)
		return a->claim > b->claim;
	if (a->rank != b->rank)
		return a->rank < b->rank;
	return a->event_line < b->event_line;
}

static void order_findings(struct kt_report *report)
{
	/* Insertion sort: a handful of findings, and stable. */
	for (size_t i = 1; i < report->count; i++) {
		struct kt_finding_draft *f = report->findings[i];
		size_t j = i;
		for (; j > 0 && comes_first(f, report->findings[j - 1]); j--)
			report->findings[j] = report->findings[j - 1];
		report->findings[j] = f;
	}
}

static void seal(struct kt_report *report)
{
	for (size_t i = 0; i < report->count; i++) {
		struct kt_finding_draft *f = report->findings[i];
		f->pub.primary = i == 0;
		if (!(f->pub.sources & KT_FROM_MEMORY) &&
		    f->pub.confidence > LOG_ONLY_CONFIDENCE_CAP)
			f->pub.confidence = LOG_ONLY_CONFIDENCE_CAP;
		f->pub.signature = kt_signature_compute(report->arena, f->pub.verdict,
							f->sign_parts, f->nr_sign_parts);
		if (!f->pub.summary)
			f->pub.summary = f->pub.verdict;
	}
}

/*
 * What the kernel model could not read (a list cut short, pages the dump
 * level left out: bookworm's makedumpfile -d 31 drops a 6.12 kernel's slab
 * pages, task_structs among them) is memory evidence missing.  The report
 * says so and is partial, as the other commands say it on stderr.
 */
static void note_kernel_warnings(struct kt_analysis *a)
{
	size_t n = a->kernel ? kt_kernel_warning_count(a->kernel) : 0;
	for (size_t i = 0; i < n && i < MAX_WARNING_NOTES; i++)
		kt_analysis_note(a, "memory: %s", kt_kernel_warning(a->kernel, i));
	if (n > MAX_WARNING_NOTES)
		kt_analysis_note(a, "memory: %zu more warnings", n - MAX_WARNING_NOTES);
}

/* The crashed machine, for grouping in the fleet's alerting; NULL unreadable. */
static const char *nodename(struct kt_report *report, struct kt_kernel *kernel)
{
	char name[65];
	struct kt_error *err = kt_kernel_nodename(kernel, name, sizeof(name));
	if (err) {
		kt_error_free(err);
		return NULL;
	}
	return *name ? kt_arena_strdup(report->arena, name) : NULL;
}

static struct kt_error *run(struct kt_report *report, struct kt_kernel *kernel)
{
	struct kt_log_facts facts;
	struct kt_error *err = kt_log_facts_parse(report->arena, report->log, &facts);
	if (err)
		return err;
	struct kt_analysis analysis = {
		.arena = report->arena, .log = report->log, .facts = &facts,
		.kernel = kernel, .report = report,
	};
	kt_memory_facts_merge(&analysis, &facts);
	for (size_t i = 0; i < kt_nr_analyzers; i++) {
		report->current_rank = i;
		kt_analyzers[i]->analyze(&analysis);
	}
	note_kernel_warnings(&analysis);
	kt_model_release(&analysis);
	order_findings(report);
	seal(report);
	report->input.panic = facts.panic;
	if (kernel && kt_kernel_release(kernel) && *kt_kernel_release(kernel))
		report->input.kernel_release = kt_arena_strdup(report->arena,
							       kt_kernel_release(kernel));
	else
		report->input.kernel_release = facts.release;
	report->input.host = kernel ? nodename(report, kernel) : NULL;
	if (kt_arena_failed(report->arena) || report->count == 0)
		return &kt_error_out_of_memory;
	return NULL;
}

struct kt_error *kt_analyze_log(const char *text, size_t len, const char *file,
				struct kt_report **out)
{
	struct kt_report *report = report_new(file, "log");
	if (!report)
		return &kt_error_out_of_memory;
	struct kt_error *err = kt_log_text_parse(text, len, &report->log);
	if (!err) {
		report->input.log_source = "text";
		err = run(report, NULL);
	}
	if (err) {
		kt_report_free(report);
		return err;
	}
	*out = report;
	return NULL;
}

static void report_note(struct kt_report *report, const char *note)
{
	if (note && kt_arena_grow(report->arena, (void **)&report->notes, report->nr_notes,
				  &report->cap_notes, sizeof(*report->notes)))
		report->notes[report->nr_notes++] = note;
}

static bool log_has_panic(const struct kt_log_text *log)
{
	size_t n = log ? kt_log_text_count(log) : 0;
	for (size_t i = n; i-- > 0;)
		if (strstr(kt_log_text_line(log, i)->text, "Kernel panic - not syncing"))
			return true;
	return false;
}

/*
 * The saved log replaces the dump's when the dump's could not be read, or
 * was cut before the panic the saved one shows (a dump cut short, a ring
 * that lost its tail).  Otherwise the dump's own log is the better copy.
 */
static bool prefer_saved(const struct kt_log_text *dump_log, const struct kt_log_text *saved)
{
	if (!saved || !kt_log_text_is_kernel_log(saved))
		return false;
	if (!dump_log || kt_log_text_count(dump_log) == 0)
		return true;
	return !log_has_panic(dump_log) && log_has_panic(saved);
}

/* The dump's log, or the saved one where it is better (prefer_saved). */
static struct kt_error *choose_log(struct kt_report *report, struct kt_kernel *kernel,
				   const char *saved_text, size_t saved_len, const char *saved_name)
{
	const struct kt_log_record *records = NULL;
	size_t count = 0;
	struct kt_error *log_err = kt_log_records(kernel, &records, &count);
	const char *why = NULL;
	if (log_err) {
		why = kt_arena_printf(report->arena, "the dump's kernel log could not be read: %s",
				      kt_error_string(log_err));
		kt_error_free(log_err);
		count = 0;
	}
	struct kt_error *err = kt_log_text_from_records(records, count, &report->log);
	if (err)
		return err;
	report->input.log_source = why ? "none" : "dump";
	struct kt_log_text *saved = NULL;
	if (saved_text && !kt_log_text_parse(saved_text, saved_len, &saved) &&
	    prefer_saved(why ? NULL : report->log, saved)) {
		kt_log_text_free(report->log);
		report->log = saved;
		report->input.log_source = "saved";
		report_note(report, why);
		report_note(report, kt_arena_printf(report->arena, "the dump's own log is %s: the "
						    "log saved beside it (%s) was read instead",
						    why ? "unreadable" : "cut short of the panic",
						    saved_name ? saved_name : "--log"));
		return NULL;
	}
	kt_log_text_free(saved);
	if (why) {
		report->input.partial = true;
		report_note(report, why);
	}
	return NULL;
}

struct kt_error *kt_analyze_kernel_saved(struct kt_kernel *kernel, const char *file,
					 const char *saved_text, size_t saved_len,
					 const char *saved_name, struct kt_report **out)
{
	struct kt_report *report = report_new(file, "dump");
	if (!report)
		return &kt_error_out_of_memory;
	struct kt_error *err = choose_log(report, kernel, saved_text, saved_len, saved_name);
	if (!err)
		err = run(report, kernel);
	if (err) {
		kt_report_free(report);
		return err;
	}
	*out = report;
	return NULL;
}

struct kt_error *kt_analyze_kernel(struct kt_kernel *kernel, const char *file,
				   struct kt_report **out)
{
	return kt_analyze_kernel_saved(kernel, file, NULL, 0, NULL, out);
}

/*
 * A text log is read from its end: the crash is the last thing a kernel
 * prints, and no printk buffer holds more than a few MiB of text.  A file
 * larger than the window is cut at the first line break inside it, so the
 * memory for any file, however large, stays bounded (the hostile-input
 * table in README.md).
 */
static struct kt_error *read_text_fd(int fd, const char *path, char **text, size_t *len,
				     uint64_t *skipped)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return kt_error_create(KT_ERR_IO, "%s: %s", path, strerror(errno));
	uint64_t size = st.st_size > 0 ? (uint64_t)st.st_size : 0;
	uint64_t from = size > MAX_TEXT_LOG ? size - MAX_TEXT_LOG : 0;
	size_t want = (size_t)(size - from);
	char *buf = malloc(want + 1);
	if (!buf)
		return &kt_error_out_of_memory;
	size_t n = 0;
	while (n < want) {
		ssize_t got = pread(fd, buf + n, want - n, (off_t)(from + n));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			free(buf);
			return kt_error_create(KT_ERR_IO, "%s: read failed: %s", path,
					       strerror(errno));
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	size_t cut = 0;
	if (from) {
		char *nl = memchr(buf, '\n', n);
		cut = nl ? (size_t)(nl - buf) + 1 : 0;
		memmove(buf, buf + cut, n - cut);
		n -= cut;
	}
	buf[n] = '\0';
	*skipped = from + cut;
	*text = buf;
	*len = n;
	return NULL;
}

/* An error's text on the heap (the error is freed before the text is used). */
static char *error_text(const struct kt_error *err)
{
	return strdup(kt_error_string(err));
}

/*
 * The log saved beside the dump, read from its end as any text log is: from
 * the descriptor the caller passed (a sandboxed worker opens no file), else
 * opened by its name.  No saved log leaves *text NULL.
 */
static struct kt_error *read_saved_log(const struct kt_analyze_options *options,
				       char **text, size_t *len)
{
	*text = NULL;
	*len = 0;
	if (!options || (!options->saved_log && options->saved_log_fd <= 0))
		return NULL;
	const char *name = options->saved_log ? options->saved_log : "saved log";
	uint64_t skipped = 0;
	if (options->saved_log_fd > 0)
		return read_text_fd(options->saved_log_fd, name, text, len, &skipped);
	int fd = open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return kt_error_create(KT_ERR_IO, "%s: %s", name, strerror(errno));
	struct kt_error *err = read_text_fd(fd, name, text, len, &skipped);
	close(fd);
	return err;
}

static struct kt_error *analyze_dump(struct kt_dump *dump, const char *path,
				     const struct kt_analyze_options *options,
				     struct kt_report **out)
{
	char *saved = NULL;
	size_t saved_len = 0;
	struct kt_error *read_err = read_saved_log(options, &saved, &saved_len);
	if (read_err)
		return read_err;
	const char *saved_name = !saved ? NULL : options->saved_log ? options->saved_log
									 : "saved log";
	struct kt_kernel *kernel;
	struct kt_error *err = kt_kernel_open(dump, options ? options->kernel : NULL, &kernel);
	if (!err) {
		err = kt_analyze_kernel_saved(kernel, path, saved, saved_len, saved_name, out);
		kt_kernel_close(kernel);
	} else if (saved) {
		/* No kernel model at all: the saved log is all there is. */
		char *why = error_text(err);
		kt_error_free(err);
		err = kt_analyze_log(saved, saved_len, saved_name, out);
		if (!err) {
			(*out)->input.partial = true;
			report_note(*out, kt_arena_printf((*out)->arena, "the dump's memory could not "
							  "be read (%s): the saved log alone was analysed",
							  why ? why : "?"));
		}
		free(why);
	}
	free(saved);
	return err;
}

static void note_skipped(struct kt_report *report, uint64_t skipped)
{
	char *note = kt_arena_printf(report->arena,
		"the log is larger than %u MiB: its first %llu bytes were not read",
		MAX_TEXT_LOG >> 20, (unsigned long long)skipped);
	if (note && kt_arena_grow(report->arena, (void **)&report->notes, report->nr_notes,
				  &report->cap_notes, sizeof(*report->notes)))
		report->notes[report->nr_notes++] = note;
}

static struct kt_error *analyze_text(int fd, const char *path, struct kt_error *dump_err,
				     struct kt_report **out)
{
	char *text = NULL;
	size_t len = 0;
	uint64_t skipped = 0;
	struct kt_error *err = read_text_fd(fd, path, &text, &len, &skipped);
	if (err) {
		kt_error_free(dump_err);
		return err;
	}
	err = kt_analyze_log(text, len, path, out);
	free(text);
	if (err) {
		kt_error_free(dump_err);
		return err;
	}
	if (!kt_log_text_is_kernel_log((*out)->log)) {
		kt_report_free(*out);
		*out = NULL;
		return dump_err; /* says why it is not a dump; it is no log either */
	}
	if (skipped)
		note_skipped(*out, skipped);
	kt_error_free(dump_err);
	return NULL;
}

struct kt_error *kt_analyze_path(const char *path,
				 const struct kt_analyze_options *options,
				 struct kt_report **out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return kt_error_create(KT_ERR_IO, "%s: %s", path, strerror(errno));
	struct kt_error *err = kt_analyze_fd(fd, path, options, out);
	close(fd);
	return err;
}

struct kt_error *kt_analyze_fd(int fd, const char *path,
			       const struct kt_analyze_options *options,
			       struct kt_report **out)
{
	struct kt_dump *dump;
	struct kt_error *err = kt_dump_open_fd(fd, path, &dump);
	if (!err) {
		err = analyze_dump(dump, path, options, out);
		kt_dump_close(dump);
		return err;
	}
	/* Not a dump the reader knows: perhaps a log.  Keep why it was not a dump. */
	if (err->code != KT_ERR_FORMAT && err->code != KT_ERR_UNSUPPORTED)
		return err;
	return analyze_text(fd, path, err, out);
}

const struct kt_report_input *kt_report_input(const struct kt_report *report)
{
	return &report->input;
}

const struct kt_finding *kt_report_primary(const struct kt_report *report)
{
	return &report->findings[0]->pub;
}

size_t kt_report_finding_count(const struct kt_report *report)
{
	return report->count;
}

const struct kt_finding *kt_report_finding(const struct kt_report *report, size_t index)
{
	return index < report->count ? &report->findings[index]->pub : NULL;
}

size_t kt_report_note_count(const struct kt_report *report)
{
	return report->nr_notes;
}

const char *kt_report_note(const struct kt_report *report, size_t index)
{
	return index < report->nr_notes ? report->notes[index] : NULL;
}
