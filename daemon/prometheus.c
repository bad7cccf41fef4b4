// SPDX-License-Identifier: MIT
/*
 * The node_exporter textfile: counters from the store (so they survive
 * restarts and a retriage replaces, not adds), the queue as gauges.
 * node_exporter reads *.prom files from its --collector.textfile.directory;
 * the file is renamed into place so it never sees half of one.
 *
 *   ktriage_crashes_total{host,kernel_release,verdict,signature}
 *                                                  dumps triaged: the crashed
 *                                                  machine (its nodename, from
 *                                                  the dump), its kernel
 *   ktriage_triage_failures_total{outcome}         failed, timeout, crashed
 *   ktriage_last_triage_timestamp_seconds          the latest analysis
 *   ktriage_queue_jobs{state}                      waiting, running
 *   ktriage_info{version}                          1
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ktriaged.h"

int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode);

/* A label value: backslash, double quote and newline escaped. */
static void put_label(FILE *f, const char *value)
{
	fputc('"', f);
	for (const char *p = value ? value : ""; *p; p++) {
		if (*p == '\\' || *p == '"')
			fputc('\\', f);
		if (*p == '\n')
			fputs("\\n", f);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void write_counts(FILE *f, const struct kt_store_count *counts, size_t n)
{
	double last = 0;
	fputs("# HELP ktriage_crashes_total Kernel crash dumps triaged, by crashed host, kernel "
	      "release, verdict and signature.\n"
	      "# TYPE ktriage_crashes_total counter\n", f);
	for (size_t i = 0; i < n; i++) {
		if (counts[i].last_finished > last)
			last = counts[i].last_finished;
		if (strcmp(counts[i].outcome, "triaged") != 0)
			continue;
		fputs("ktriage_crashes_total{host=", f);
		put_label(f, counts[i].host ? counts[i].host : "unknown");
		fputs(",kernel_release=", f);
		put_label(f, counts[i].kernel_release ? counts[i].kernel_release : "unknown");
		fputs(",verdict=", f);
		put_label(f, counts[i].verdict ? counts[i].verdict : "unknown");
		fputs(",signature=", f);
		put_label(f, counts[i].signature);
		fprintf(f, "} %llu\n", (unsigned long long)counts[i].count);
	}
	fputs("# HELP ktriage_triage_failures_total Dumps that could not be triaged, by outcome.\n"
	      "# TYPE ktriage_triage_failures_total counter\n", f);
	const char *outcomes[] = { "failed", "timeout", "crashed" };
	for (size_t o = 0; o < 3; o++) {
		unsigned long long total = 0;
		for (size_t i = 0; i < n; i++)
			if (strcmp(counts[i].outcome, outcomes[o]) == 0)
				total += counts[i].count;
		fprintf(f, "ktriage_triage_failures_total{outcome=\"%s\"} %llu\n", outcomes[o], total);
	}
	fputs("# HELP ktriage_last_triage_timestamp_seconds When the latest analysis finished.\n"
	      "# TYPE ktriage_last_triage_timestamp_seconds gauge\n", f);
	fprintf(f, "ktriage_last_triage_timestamp_seconds %.3f\n", last);
}

/*
 * The default path is node_exporter's directory, which is there only when
 * prometheus-node-exporter is installed: without it, say so once and write
 * nothing (not a warning after every triage).  SIGHUP looks again.
 */
void prometheus_check_directory(struct manager *m)
{
	const char *path = m->config.prometheus_textfile;
	m->textfile_usable = false;
	if (!path || !*path)
		return;
	char *copy = strdup(path);
	if (!copy)
		return;
	const char *dir = dirname(copy);
	struct stat st;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		log_info("Prometheus textfile %s not written: %s is not a directory "
			 "(prometheus-node-exporter not installed?); --textfile or "
			 "prometheus_textfile chooses another", path, dir);
	else
		m->textfile_usable = true;
	free(copy);
}

int prometheus_write(struct manager *m)
{
	const char *path = m->config.prometheus_textfile;
	if (!path || !*path || !m->textfile_usable)
		return 0;
	struct kt_store_count *counts;
	size_t n;
	struct kt_error *err = kt_store_counts(m->store, &counts, &n);
	if (err) {
		log_error("Prometheus textfile: %s", kt_error_string(err));
		kt_error_free(err);
		return -EIO;
	}
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f) {
		kt_store_counts_free(counts, n);
		return -ENOMEM;
	}
	write_counts(f, counts, n);
	kt_store_counts_free(counts, n);
	fprintf(f, "# HELP ktriage_queue_jobs Inputs waiting for or in analysis.\n"
		   "# TYPE ktriage_queue_jobs gauge\n"
		   "ktriage_queue_jobs{state=\"waiting\"} %u\n"
		   "ktriage_queue_jobs{state=\"running\"} %u\n"
		   "# HELP ktriage_info The ktriage version running.\n"
		   "# TYPE ktriage_info gauge\n"
		   "ktriage_info{version=\"%s\"} 1\n",
		queue_count(m, false), queue_count(m, true), KT_VERSION);
	fclose(f);
	int r = write_file_atomic(path, text, len, 0644);
	free(text);
	if (r < 0)
		log_warning("Failed to write the Prometheus textfile %s: %s", path, strerror(-r));
	return r;
}

static int on_defer(sd_event_source *s, void *userdata)
{
	struct manager *m = userdata;
	m->prometheus_defer = sd_event_source_disable_unref(m->prometheus_defer);
	prometheus_write(m);
	return 0;
}

void prometheus_schedule(struct manager *m)
{
	if (m->prometheus_defer || !m->event)
		return;
	if (sd_event_add_defer(m->event, &m->prometheus_defer, on_defer, m) < 0)
		prometheus_write(m);
}
