// SPDX-License-Identifier: MIT
/*
 * crash's `sys`: CPUs, date, uptime, load, tasks, utsname, memory, the
 * panic message and the panic task, each read from the dump on its own so
 * that one damaged part leaves the others (and a warning).
 *
 * Where crash has a rule, the same rule is used so that the values agree:
 * the uptime is jiffies over HZ, the memory is the nodes' present pages,
 * the panic message is the first log line matching crash's patterns, in
 * crash's order of preference.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define NSEC_PER_SEC 1000000000ull
#define FSHIFT 11 /* avenrun's fixed point */
#define PANIC_CPU_INVALID -1
#define MAX_CPUMASK_BYTES (KT_MAX_CPUS / 8)
#define MAX_NODES 1024

/* Read a symbol's value of size bytes (1, 2, 4, 8), zero-extended. */
static struct kt_error *read_symbol_uint(struct kt_kernel *k, const char *name,
					 size_t size, uint64_t *value)
{
	uint64_t address;
	struct kt_error *err = kt_kernel_symbol(k, name, &address);
	if (err)
		return err;
	*value = 0;
	return kt_kernel_read(k, address, value, size);
}

/* ---- CPUs ---------------------------------------------------------------- */

/* Bits set in a struct cpumask variable, or 0 when it cannot be read. */
static unsigned cpumask_weight(struct kt_kernel *k, const char *name)
{
	uint64_t address, size;
	uint8_t bits[MAX_CPUMASK_BYTES];
	struct kt_error *err = kt_kernel_symbol(k, name, &address);
	if (!err)
		err = kt_type_sizeof(k, "struct cpumask", &size);
	if (!err && (size == 0 || size > sizeof(bits)))
		err = kt_error_create(KT_ERR_INVALID, "struct cpumask is %llu bytes",
				      (unsigned long long)size);
	if (!err)
		err = kt_kernel_read(k, address, bits, (size_t)size);
	if (err) {
		kt_kernel_warn(k, "%s: %s", name, kt_error_string(err));
		kt_error_free(err);
		return 0;
	}
	unsigned weight = 0;
	for (size_t i = 0; i < size; i++)
		weight += (unsigned)__builtin_popcount(bits[i]);
	return weight;
}

static void read_cpus(struct kt_kernel *k, struct kt_sysinfo *out)
{
	out->cpus = cpumask_weight(k, "__cpu_possible_mask");
	if (!out->cpus)
		out->cpus = kt_kernel_nr_cpus(k);
	out->cpus_present = cpumask_weight(k, "__cpu_present_mask");
	out->cpus_online = cpumask_weight(k, "__cpu_online_mask");
	uint64_t khz;
	struct kt_error *err = read_symbol_uint(k, "cpu_khz", 4, &khz);
	if (!err)
		out->mhz = (unsigned)(khz / 1000);
	kt_error_free(err);
}

/* ---- Time ---------------------------------------------------------------- */

/*
 * Is there a struct timekeeper at address?  Both of its clocks read the
 * same clocksource, a pointer into the kernel: a wrong guess of where it is
 * will hardly show that.
 */
static bool timekeeper_plausible(struct kt_kernel *k, uint64_t address)
{
	uint64_t mono = 0, raw = 0;
	struct kt_error *err = kt_read_member_u64(k, address, "struct timekeeper",
						  "tkr_mono.clock", &mono);
	if (!err)
		err = kt_read_member_u64(k, address, "struct timekeeper",
					 "tkr_raw.clock", &raw);
	kt_error_free(err);
	return !err && mono && mono == raw && kt_kernel_is_kernel_address(k, mono);
}

/*
 * The kernel's timekeeper: tk_core.timekeeper (3.17+).  tk_core is a
 * variable of an anonymous struct { seqcount_raw_spinlock_t seq; struct
 * timekeeper timekeeper; }, a type no name reaches, so the timekeeper is
 * after seq, at the first alignment that holds a plausible timekeeper.
 * shadow_timekeeper (crash 8's choice) is a copy at most one update ahead.
 */
static bool find_timekeeper(struct kt_kernel *k, uint64_t *timekeeper)
{
	uint64_t core, seq_size;
	struct kt_error *err = kt_kernel_symbol(k, "tk_core", &core);
	if (!err)
		err = kt_type_sizeof(k, "seqcount_raw_spinlock_t", &seq_size);
	if (!err && seq_size > 4096)
		err = kt_error_create(KT_ERR_INVALID, "seqcount_raw_spinlock_t is %llu bytes",
				      (unsigned long long)seq_size);
	if (!err) {
		for (uint64_t align = 8; align <= 64; align *= 2) {
			uint64_t address = core + (seq_size + align - 1) / align * align;
			if (timekeeper_plausible(k, address)) {
				*timekeeper = address;
				return true;
			}
		}
	}
	kt_error_free(err);
	static const char *const copies[] = { "shadow_timekeeper", "timekeeper" };
	for (size_t i = 0; i < 2; i++) {
		uint64_t address;
		err = kt_kernel_symbol(k, copies[i], &address);
		bool found = !err && timekeeper_plausible(k, address);
		kt_error_free(err);
		if (found) {
			*timekeeper = address;
			return true;
		}
	}
	return false;
}

/* A real kdump stamps CRASHTIME; otherwise the time the kernel last knew. */
static void read_date(struct kt_kernel *k, bool have_timekeeper,
		      uint64_t timekeeper, struct kt_sysinfo *out)
{
	uint64_t seconds;
	if (kt_vmcoreinfo_u64(k->vmcoreinfo, "CRASHTIME", 10, &seconds)) {
		out->date = (int64_t)seconds;
		out->date_is_crashtime = true;
		return;
	}
	struct kt_error *err = have_timekeeper
		? kt_read_member_u64(k, timekeeper, "struct timekeeper",
				     "xtime_sec", &seconds)
		: kt_error_create(KT_ERR_NOT_FOUND, "no timekeeper (tk_core) found");
	if (err) {
		kt_kernel_warn(k, "date: %s", kt_error_string(err));
		kt_error_free(err);
		return;
	}
	out->date = (int64_t)seconds;
}

/*
 * HZ is a compile-time constant, but the jiffies clocksource keeps it:
 * clocksource_jiffies.mult is TICK_NSEC << shift (kernel/time/jiffies.c).
 */
static unsigned read_hz(struct kt_kernel *k)
{
	uint64_t address, mult = 0, shift = 0;
	struct kt_error *err = kt_kernel_symbol(k, "clocksource_jiffies", &address);
	if (!err)
		err = kt_read_member_uint(k, address, "struct clocksource", "mult", &mult);
	if (!err)
		err = kt_read_member_uint(k, address, "struct clocksource", "shift", &shift);
	if (err) {
		kt_kernel_warn(k, "HZ: %s", kt_error_string(err));
		kt_error_free(err);
		return 0;
	}
	uint64_t tick_nsec = shift < 32 ? mult >> shift : 0;
	uint64_t hz = tick_nsec ? (NSEC_PER_SEC + tick_nsec / 2) / tick_nsec : 0;
	if (hz < 10 || hz > 10000) {
		kt_kernel_warn(k, "HZ: clocksource_jiffies mult %llu shift %llu is implausible",
			       (unsigned long long)mult, (unsigned long long)shift);
		return 0;
	}
	return (unsigned)hz;
}

/*
 * Uptime as crash counts it: jiffies since INITIAL_JIFFIES (which starts
 * 5 minutes before the 32-bit wrap), over HZ.  Without HZ, the
 * timekeeper's boot-time clock.
 */
static void read_uptime(struct kt_kernel *k, bool have_timekeeper,
			uint64_t timekeeper, struct kt_sysinfo *out)
{
	out->hz = read_hz(k);
	uint64_t jiffies;
	struct kt_error *err = read_symbol_uint(k, "jiffies_64", 8, &jiffies);
	if (err) {
		kt_error_free(err);
		err = read_symbol_uint(k, "jiffies", 8, &jiffies);
	}
	if (!err && out->hz) {
		uint64_t initial = (uint32_t)(-300 * (int64_t)out->hz);
		uint64_t ticks = jiffies - initial;
		out->uptime_ns = ticks / out->hz * NSEC_PER_SEC +
				 ticks % out->hz * NSEC_PER_SEC / out->hz;
		return;
	}
	kt_error_free(err);
	uint64_t base = 0, offs_boot = 0;
	err = have_timekeeper
		? kt_read_member_u64(k, timekeeper, "struct timekeeper",
				     "tkr_mono.base", &base)
		: kt_error_create(KT_ERR_NOT_FOUND, "no HZ and no timekeeper");
	if (!err)
		err = kt_read_member_u64(k, timekeeper, "struct timekeeper",
					 "offs_boot", &offs_boot);
	if (err) {
		kt_kernel_warn(k, "uptime: %s", kt_error_string(err));
		kt_error_free(err);
		return;
	}
	out->uptime_ns = base + offs_boot;
}

static void read_load_average(struct kt_kernel *k, struct kt_sysinfo *out)
{
	uint64_t address;
	struct kt_error *err = kt_kernel_symbol(k, "avenrun", &address);
	if (!err)
		err = kt_kernel_read(k, address, out->load_average,
				     sizeof(out->load_average));
	if (err) {
		memset(out->load_average, 0, sizeof(out->load_average));
		kt_kernel_warn(k, "avenrun: %s", kt_error_string(err));
		kt_error_free(err);
	}
}

/* ---- utsname, memory, tasks --------------------------------------------- */

static void read_utsname(struct kt_kernel *k, struct kt_sysinfo *out)
{
	struct {
		const char *member;
		char *buf;
	} fields[] = {
		{ "name.nodename", out->nodename },
		{ "name.release", out->release },
		{ "name.version", out->version },
		{ "name.machine", out->machine },
	};
	uint64_t base;
	struct kt_error *err = kt_kernel_symbol(k, "init_uts_ns", &base);
	for (size_t i = 0; !err && i < sizeof(fields) / sizeof(fields[0]); i++) {
		uint64_t offset;
		err = kt_type_offsetof(k, "struct uts_namespace", fields[i].member,
				       &offset);
		if (!err)
			err = kt_kernel_read_string(k, base + offset, fields[i].buf, 65);
	}
	if (err) {
		kt_kernel_warn(k, "init_uts_ns: %s", kt_error_string(err));
		kt_error_free(err);
	}
	if (!out->release[0])
		snprintf(out->release, sizeof(out->release), "%s", kt_kernel_release(k));
}

struct kt_error *kt_kernel_nodename(struct kt_kernel *k, char *buf, size_t size)
{
	uint64_t base, offset;
	char name[65] = "";
	struct kt_error *err = kt_kernel_symbol(k, "init_uts_ns", &base);
	if (!err)
		err = kt_type_offsetof(k, "struct uts_namespace", "name.nodename", &offset);
	if (!err)
		err = kt_kernel_read_string(k, base + offset, name, sizeof(name));
	snprintf(buf, size, "%s", err ? "" : name);
	return err;
}

static struct kt_error *node_present_pages(struct kt_kernel *k, uint64_t pgdat,
					   uint64_t *pages)
{
	return kt_read_member_uint(k, pgdat, "struct pglist_data",
				   "node_present_pages", pages);
}

/*
 * crash's MEMORY: the present pages of every node (the memory the kernel
 * saw, holes excluded, crashkernel and other reservations included).
 */
static void read_memory(struct kt_kernel *k, struct kt_sysinfo *out)
{
	uint64_t node_data, pages = 0, total = 0, length;
	struct kt_error *err = kt_kernel_symbol(k, "node_data", &node_data);
	if (err) { /* !CONFIG_NUMA: one node */
		kt_error_free(err);
		uint64_t contig;
		err = kt_kernel_symbol(k, "contig_page_data", &contig);
		if (!err)
			err = node_present_pages(k, contig, &total);
	} else {
		if (!kt_vmcoreinfo_length(k->vmcoreinfo, "node_data", &length) ||
		    length > MAX_NODES)
			length = 64;
		for (uint64_t i = 0; !err && i < length; i++) {
			uint64_t pgdat;
			err = kt_kernel_read_u64(k, node_data + i * 8, &pgdat);
			if (!err && pgdat && (err = node_present_pages(k, pgdat, &pages)) == NULL)
				total += pages;
		}
	}
	if (err) {
		kt_kernel_warn(k, "memory: %s", kt_error_string(err));
		kt_error_free(err);
	}
	out->memory_bytes = total * k->page_size;
}

static void count_tasks(struct kt_kernel *k, struct kt_sysinfo *out)
{
	const struct kt_task *tasks;
	size_t count;
	struct kt_error *err = kt_tasks(k, &tasks, &count);
	if (err) {
		kt_kernel_warn(k, "tasks: %s", kt_error_string(err));
		kt_error_free(err);
		return;
	}
	for (size_t i = 0; i < count; i++)
		out->tasks += !tasks[i].is_idle;
}

/* ---- The panic ----------------------------------------------------------- */

/*
 * crash 8's patterns, pass by pass: the first line of the log matching a
 * pass wins over every later pass, wherever it is in the log.
 */
static const char *const panic_patterns[][7] = {
	{ "general protection fault: ", "double fault: ", "divide error: ",
	  "stack segment: " },
	{ "SysRq : Netdump", "SysRq : Crash", "SysRq : Trigger a crash" },
	{ "Oops: ", "Kernel BUG at", "kernel BUG at",
	  "Unable to handle kernel paging request",
	  "Unable to handle kernel NULL pointer dereference",
	  "BUG: unable to handle kernel " },
	{ "Kernel panic: ", "Kernel panic - " },
	{ "[Hardware Error]: " },
	{ "Bad mode in " },
};

static bool line_matches(const char *line, size_t len, const char *const *patterns)
{
	for (size_t p = 0; p < 7 && patterns[p]; p++)
		if (memmem(line, len, patterns[p], strlen(patterns[p])))
			return true;
	return false;
}

/* Find the first line matching patterns; its record's index in *record. */
static bool find_line(const struct kt_log_record *records, size_t count,
		      const char *const *patterns, char *buf, size_t size,
		      size_t *record)
{
	for (size_t i = 0; i < count; i++) {
		const char *text = records[i].text;
		const char *end = text + records[i].text_len;
		while (text < end) {
			const char *nl = memchr(text, '\n', (size_t)(end - text));
			size_t len = (size_t)((nl ? nl : end) - text);
			if (line_matches(text, len, patterns)) {
				snprintf(buf, size, "%.*s", (int)len, text);
				*record = i;
				return true;
			}
			text += len + 1;
		}
	}
	return false;
}

/*
 * Where panic_cpu says nothing (an oops that did not panic, an old
 * kernel), the "CPU: 1 PID: 29 Comm: kworker/u4:1" line dump_stack()
 * printed after the message names the task.
 */
static void panic_task_from_log(const struct kt_log_record *records, size_t count,
				size_t from, int32_t *cpu, int32_t *pid)
{
	for (size_t i = from; i < count && i < from + 64; i++) {
		const char *line = strstr(records[i].text, "CPU: ");
		int c, p;
		if (line && sscanf(line, "CPU: %d PID: %d Comm:", &c, &p) == 2 &&
		    c >= 0 && p >= 0) {
			*cpu = c;
			*pid = p;
			return;
		}
	}
}

static void read_panic_message(struct kt_kernel *k, struct kt_sysinfo *out,
			       int32_t *log_cpu, int32_t *log_pid)
{
	const struct kt_log_record *records;
	size_t count, record;
	struct kt_error *err = kt_log_records(k, &records, &count);
	if (err) {
		kt_kernel_warn(k, "panic message: %s", kt_error_string(err));
		kt_error_free(err);
		return;
	}
	for (size_t pass = 0; pass < sizeof(panic_patterns) / sizeof(panic_patterns[0]); pass++)
		if (find_line(records, count, panic_patterns[pass], out->panic,
			      sizeof(out->panic), &record)) {
			panic_task_from_log(records, count, record, log_cpu, log_pid);
			return;
		}
}

/* The task running on a CPU: its runqueue's curr. */
static struct kt_error *cpu_current(struct kt_kernel *k, unsigned cpu,
				    uint64_t *task)
{
	uint64_t runqueues, rq;
	struct kt_error *err = kt_kernel_symbol(k, "runqueues", &runqueues);
	if (!err)
		err = kt_kernel_per_cpu(k, runqueues, cpu, &rq);
	if (!err)
		err = kt_read_member_u64(k, rq, "struct rq", "curr", task);
	if (!err && !kt_kernel_is_kernel_address(k, *task))
		err = kt_error_create(KT_ERR_INVALID, "CPU %u: runqueue curr 0x%llx is not a kernel address",
				      cpu, (unsigned long long)*task);
	return err;
}

static struct kt_error *describe_task(struct kt_kernel *k, uint64_t task,
				      struct kt_sysinfo *out)
{
	uint64_t pid, comm;
	struct kt_error *err = kt_read_member_uint(k, task, "struct task_struct",
						   "pid", &pid);
	if (!err)
		err = kt_type_offsetof(k, "struct task_struct", "comm", &comm);
	if (!err)
		err = kt_kernel_read_string(k, task + comm, out->panic_comm,
					    sizeof(out->panic_comm));
	if (err)
		return err;
	out->panic_pid = (int32_t)pid;
	out->panic_task = task;
	return NULL;
}

/*
 * panic() claims panic_cpu before anything else; the task on that CPU is
 * the panicking one (on a QEMU capture it sits in the pvpanic notifier, on
 * a kdump in crash_kexec: the same task either way).  Without panic_cpu,
 * kt_task_panic() knows an oops that kexec'd directly; then the log's
 * "CPU: N PID: P" line after the message.
 */
static void read_panic_task(struct kt_kernel *k, int32_t log_cpu,
			    int32_t log_pid, struct kt_sysinfo *out)
{
	uint64_t value, task = 0;
	struct kt_error *err = read_symbol_uint(k, "panic_cpu", 4, &value);
	int32_t cpu = err ? PANIC_CPU_INVALID : (int32_t)(uint32_t)value;
	kt_error_free(err);
	err = NULL;
	if (cpu == PANIC_CPU_INVALID) {
		const struct kt_task *t = kt_task_panic(k);
		if (!t && log_pid > 0)
			t = kt_task_by_pid(k, log_pid);
		if (t) {
			cpu = t->cpu;
			task = t->address;
		} else {
			cpu = log_cpu; /* pid 0: the idle task of that CPU */
		}
	}
	if (cpu < 0 || (unsigned)cpu >= kt_kernel_nr_cpus(k))
		return;
	out->panic_cpu = cpu;
	if (!task)
		err = cpu_current(k, (unsigned)cpu, &task);
	if (!err)
		err = describe_task(k, task, out);
	if (err) {
		kt_kernel_warn(k, "panic task on CPU %d: %s", cpu, kt_error_string(err));
		kt_error_free(err);
	}
}

struct kt_error *kt_sysinfo(struct kt_kernel *k, struct kt_sysinfo *out)
{
	memset(out, 0, sizeof(*out));
	out->panic_pid = -1;
	out->panic_cpu = -1;
	read_cpus(k, out);
	uint64_t timekeeper = 0;
	bool have_timekeeper = find_timekeeper(k, &timekeeper);
	read_date(k, have_timekeeper, timekeeper, out);
	read_uptime(k, have_timekeeper, timekeeper, out);
	read_load_average(k, out);
	read_utsname(k, out);
	read_memory(k, out);
	count_tasks(k, out);
	int32_t log_cpu = -1, log_pid = -1;
	read_panic_message(k, out, &log_cpu, &log_pid);
	read_panic_task(k, log_cpu, log_pid, out);
	if (!out->nodename[0] && !out->date && !out->uptime_ns && !out->tasks)
		return kt_error_create(KT_ERR_NOT_FOUND,
				       "%s: none of crash's sys fields could be read",
				       kt_dump_info(k->dump)->path);
	return NULL;
}
