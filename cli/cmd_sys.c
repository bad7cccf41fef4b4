// SPDX-License-Identifier: MIT
/*
 * ktriage sys: crash's `sys` (and the panic task of its banner), from the
 * dump alone.  Values are printed as crash prints them: the date in UTC,
 * the uptime as [D days, ]HH:MM:SS, the load with two decimals, the memory
 * in crash's units.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "ktriage/kernel.h"

#define FSHIFT 11
#define FIXED_1 (1u << FSHIFT)
#define KIB 1024ull
#define MIB (1024ull * KIB)
#define GIB (1024ull * MIB)

/* crash's CPUS is the present CPUs; its OFFLINE, those not online. */
static unsigned crash_cpus(const struct kt_sysinfo *s)
{
	return s->cpus_present ? s->cpus_present : s->cpus;
}

static void format_date(int64_t date, char *buf, size_t size)
{
	time_t t = (time_t)date;
	struct tm tm;
	if (!gmtime_r(&t, &tm) ||
	    !strftime(buf, size, "%a %b %e %H:%M:%S UTC %Y", &tm))
		snprintf(buf, size, "%" PRId64, date);
}

static void format_uptime(const struct kt_sysinfo *s, char *buf, size_t size)
{
	uint64_t total = s->uptime_ns / 1000000000ull;
	uint64_t days = total / 86400;
	total %= 86400;
	int n = days ? snprintf(buf, size, "%" PRIu64 " days, ", days) : 0;
	if (n < 0 || (size_t)n >= size)
		n = 0;
	snprintf(buf + n, size - (size_t)n, "%02" PRIu64 ":%02" PRIu64 ":%02" PRIu64,
		 total / 3600, total % 3600 / 60, total % 60);
}

/* avenrun as the kernel's /proc/loadavg rounds it: +0.005, two decimals. */
static void load_parts(uint64_t avenrun, unsigned long *whole, unsigned long *hundredths)
{
	uint64_t a = avenrun + FIXED_1 / 200;
	*whole = (unsigned long)(a >> FSHIFT);
	*hundredths = (unsigned long)(((a & (FIXED_1 - 1)) * 100) >> FSHIFT);
}

static void format_load(const struct kt_sysinfo *s, char *buf, size_t size)
{
	size_t n = 0;
	for (int i = 0; i < 3 && n < size; i++) {
		unsigned long whole, hundredths;
		load_parts(s->load_average[i], &whole, &hundredths);
		int w = snprintf(buf + n, size - n, "%s%lu.%02lu", i ? ", " : "",
				 whole, hundredths);
		if (w < 0)
			break;
		n += (size_t)w;
	}
}

/*
 * crash's MEMORY: within 64 MB below a whole GB counts as that GB, then one
 * decimal in the largest unit, ".0" dropped.
 */
static void format_memory(uint64_t bytes, char *buf, size_t size)
{
	uint64_t next_gig = (bytes + GIB - 1) / GIB * GIB;
	if (next_gig && next_gig - bytes <= 64 * MIB)
		bytes = next_gig;
	double total = (double)bytes;
	if (bytes == 0)
		snprintf(buf, size, "0");
	else if (bytes >= GIB)
		snprintf(buf, size, "%.1f GB", total / (double)GIB);
	else if (bytes >= MIB)
		snprintf(buf, size, "%.1f MB", total / (double)MIB);
	else
		snprintf(buf, size, "%llu KB", (unsigned long long)(bytes / KIB));
	char *p = strstr(buf, ".0 ");
	if (p)
		memmove(p, p + 2, strlen(p + 2) + 1);
}

static void print_text(const char *path, const struct kt_sysinfo *s)
{
	char buf[128];
	printf("    DUMPFILE: %s\n", path);
	printf("        CPUS: %u", crash_cpus(s));
	if (s->cpus_online && crash_cpus(s) > s->cpus_online)
		printf(" [OFFLINE: %u]", crash_cpus(s) - s->cpus_online);
	putchar('\n');
	format_date(s->date, buf, sizeof(buf));
	printf("        DATE: %s\n", buf);
	format_uptime(s, buf, sizeof(buf));
	printf("      UPTIME: %s\n", buf);
	format_load(s, buf, sizeof(buf));
	printf("LOAD AVERAGE: %s\n", buf);
	printf("       TASKS: %zu\n", s->tasks);
	printf("    NODENAME: %s\n", s->nodename);
	printf("     RELEASE: %s\n", s->release);
	printf("     VERSION: %s\n", s->version);
	if (s->mhz)
		printf("     MACHINE: %s  (%u Mhz)\n", s->machine, s->mhz);
	else
		printf("     MACHINE: %s  (unknown Mhz)\n", s->machine);
	format_memory(s->memory_bytes, buf, sizeof(buf));
	printf("      MEMORY: %s\n", buf);
	printf("       PANIC: \"%s\"%s\n", s->panic,
	       strstr(s->panic, "Oops: ") ? " (check log for details)" : "");
	if (s->panic_pid < 0)
		return;
	printf("         PID: %d\n", s->panic_pid);
	printf("     COMMAND: \"%s\"\n", s->panic_comm);
	printf("        TASK: %016" PRIx64 "\n", s->panic_task);
	printf("         CPU: %d\n", s->panic_cpu);
}

static void add_string(struct json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value));
}

static struct json_object *to_json(const struct kt_sysinfo *s)
{
	struct json_object *o = json_object_new_object();
	char buf[128];
	json_object_object_add(o, "cpus", json_object_new_int64(crash_cpus(s)));
	json_object_object_add(o, "cpus_possible", json_object_new_int64(s->cpus));
	json_object_object_add(o, "cpus_online", json_object_new_int64(s->cpus_online));
	format_date(s->date, buf, sizeof(buf));
	add_string(o, "date", buf);
	json_object_object_add(o, "date_epoch", json_object_new_int64(s->date));
	add_string(o, "date_source", s->date_is_crashtime ? "CRASHTIME" : "timekeeper");
	format_uptime(s, buf, sizeof(buf));
	add_string(o, "uptime", buf);
	json_object_object_add(o, "uptime_ns", json_object_new_uint64(s->uptime_ns));
	json_object_object_add(o, "hz", json_object_new_int64(s->hz));
	struct json_object *load = json_object_new_array();
	for (int i = 0; i < 3; i++) {
		unsigned long whole, hundredths;
		load_parts(s->load_average[i], &whole, &hundredths);
		snprintf(buf, sizeof(buf), "%lu.%02lu", whole, hundredths);
		json_object_array_add(load, json_object_new_double_s((double)whole +
								     (double)hundredths / 100, buf));
	}
	json_object_object_add(o, "load_average", load);
	json_object_object_add(o, "tasks", json_object_new_uint64(s->tasks));
	add_string(o, "nodename", s->nodename);
	add_string(o, "release", s->release);
	add_string(o, "version", s->version);
	add_string(o, "machine", s->machine);
	json_object_object_add(o, "mhz", json_object_new_int64(s->mhz));
	format_memory(s->memory_bytes, buf, sizeof(buf));
	add_string(o, "memory", buf);
	json_object_object_add(o, "memory_bytes", json_object_new_uint64(s->memory_bytes));
	add_string(o, "panic", s->panic);
	bool known = s->panic_pid >= 0;
	json_object_object_add(o, "pid", known ? json_object_new_int(s->panic_pid) : NULL);
	json_object_object_add(o, "command", known ? json_object_new_string(s->panic_comm) : NULL);
	snprintf(buf, sizeof(buf), "0x%016" PRIx64, s->panic_task);
	json_object_object_add(o, "task", known ? json_object_new_string(buf) : NULL);
	json_object_object_add(o, "cpu", s->panic_cpu >= 0 ? json_object_new_int(s->panic_cpu)
							   : NULL);
	return o;
}

static int print_sysinfo(struct kt_kernel *kernel, const struct kt_cli_opts *opts)
{
	struct kt_sysinfo info;
	struct kt_error *err = kt_sysinfo(kernel, &info);
	if (err)
		return kt_cli_fail(err);
	if (opts->json)
		kt_cli_print_json(to_json(&info));
	else
		print_text(opts->dump, &info);
	return KT_EXIT_OK;
}

int kt_cmd_sys(int argc, char **argv)
{
	return kt_cli_run_on_kernel("sys", argc, argv, print_sysinfo);
}
