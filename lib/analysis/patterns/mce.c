// SPDX-License-Identifier: MIT
/*
 * mce: machine checks, errors the CPU reports about the hardware
 * (arch/x86/kernel/cpu/mce/core.c):
 *   "mce: [Hardware Error]: CPU 0: Machine Check Exception: 4 Bank 0: b200000080060001"
 *   "mce: [Hardware Error]: CPU 3: Machine Check: 0 Bank 6: cc59214000041152"
 *   "mce: [Hardware Error]: TSC 0 ADDR 143200200 MISC ..."
 *   "mce: [Hardware Error]: Machine check: Processor context corrupt"
 *   "Kernel panic - not syncing: Fatal machine check"
 * MCi_STATUS bit 61 (UC) says uncorrected, bit 57 (PCC) processor context
 * corrupt; the low 16 bits (MCACOD) the error type.  Not a software bug.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define MCI_STATUS_UC (1ull << 61)
#define MCI_STATUS_PCC (1ull << 57)

struct machine_check {
	size_t first, count;
	int cpu, bank;
	uint64_t status;
	bool uncorrected;
	char message[128];
	char address[32];
	char cpus[64], banks[64];
};

static void add_number(char *list, size_t size, int value)
{
	char item[16];
	snprintf(item, sizeof(item), "%d", value);
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		if (n == strlen(item) && strncmp(p, item, n) == 0)
			return;
		p += n + (p[n] == ',');
	}
	if (strlen(list) + strlen(item) + 2 < size)
		snprintf(list + strlen(list), size - strlen(list), "%s%s", *list ? "," : "", item);
}

static void parse_line(const char *s, size_t i, struct machine_check *mc)
{
	const char *p;
	int cpu, bank;
	char status[32];
	if ((p = strstr(s, "CPU ")) && strstr(s, "Bank ") &&
	    (strstr(s, "Machine Check") || strstr(s, "Machine check"))) {
		const char *b = strstr(s, "Bank ");
		int fields = sscanf(b, "Bank %d: %31s", &bank, status);
		if (sscanf(p, "CPU %d", &cpu) == 1 && fields >= 1) {
			/* "Bank 0" alone: the status was not printed */
			uint64_t value = fields == 2 ? strtoull(status, NULL, 16) : 0;
			if (mc->first == SIZE_MAX || ((value & MCI_STATUS_UC) && !mc->uncorrected)) {
				mc->cpu = cpu;
				mc->bank = bank;
				mc->status = value;
				mc->uncorrected = value & MCI_STATUS_UC;
			}
			add_number(mc->cpus, sizeof(mc->cpus), cpu);
			add_number(mc->banks, sizeof(mc->banks), bank);
			if (mc->first == SIZE_MAX)
				mc->first = i;
			mc->count++;
		}
	}
	if ((p = strstr(s, "Machine check: ")) && !mc->message[0])
		snprintf(mc->message, sizeof(mc->message), "%s", p + 15);
	if ((p = strstr(s, " ADDR ")) && strstr(s, "[Hardware Error]") && !mc->address[0])
		sscanf(p, " ADDR %31s", mc->address);
	if (mc->first == SIZE_MAX && (strstr(s, "Machine check events logged") ||
				      strstr(s, "[Hardware Error]: Machine check")))
		mc->first = i;
}

static void analyze(struct kt_analysis *a)
{
	const struct kt_log_facts *facts = a->facts;
	struct machine_check mc = { .first = SIZE_MAX, .cpu = -1, .bank = -1 };
	size_t n = kt_log_text_count(a->log);
	for (size_t i = 0; i < n; i++)
		parse_line(kt_log_facts_line(facts, i), i, &mc);
	bool panic = kt_panic_says(facts, "achine check") ||
		     kt_panic_says(facts, "Not all CPUs entered broadcast exception handler") ||
		     kt_panic_says(facts, "MCE");
	if (mc.first == SIZE_MAX && !panic)
		return;
	size_t event = mc.first != SIZE_MAX ? mc.first : facts->panic_line;
	bool fatal = panic || mc.uncorrected;
	struct kt_finding_draft *f = kt_finding_new(a, "mce",
						    panic ? KT_CLAIM_PANIC : fatal ? KT_CLAIM_FATAL
										   : KT_CLAIM_NOTE,
						    event, 0.75);
	if (!f)
		return;
	for (size_t i = event; i < n; i++) {
		const char *s = kt_log_facts_line(facts, i);
		if (strstr(s, "[Hardware Error]") || strstr(s, "Machine check") ||
		    strstr(s, "Machine Check") || strstr(s, "EDAC "))
			kt_finding_add_line(f, i);
	}
	if (panic)
		kt_finding_add_panic(a, f);
	if (mc.cpu >= 0) {
		kt_finding_fact(f, "cpu", "%s", mc.cpus);
		kt_finding_fact(f, "bank", "%s", mc.banks);
		if (mc.status) {
			kt_finding_fact(f, "status", "0x%016" PRIx64, mc.status);
			kt_finding_fact(f, "mcacod", "0x%04" PRIx64, mc.status & 0xffff);
			kt_finding_fact(f, "severity", "%s%s", mc.uncorrected ? "uncorrected" : "corrected",
					mc.status & MCI_STATUS_PCC ? ", processor context corrupt" : "");
		}
	}
	if (mc.message[0])
		kt_finding_fact(f, "message", "%s", mc.message);
	if (mc.address[0])
		kt_finding_fact(f, "address", "%s", mc.address);
	kt_finding_sign(f, "severity:%s", fatal ? "fatal" : "corrected");
	if (mc.bank >= 0 && mc.status)
		kt_finding_sign(f, "bank:%d:mcacod:%04" PRIx64, mc.bank, mc.status & 0xffff);
	else if (mc.bank >= 0)
		kt_finding_sign(f, "bank:%d", mc.bank);
	kt_finding_summary(f, "%s machine check%s%s%s%s%s", fatal ? "Fatal" : "Corrected",
			   mc.cpu >= 0 ? kt_arena_printf(a->arena, " on CPU %s, bank %s", mc.cpus, mc.banks) : "",
			   mc.status ? kt_arena_printf(a->arena, " (status 0x%016" PRIx64 ")", mc.status) : "",
			   mc.message[0] ? ": " : "", mc.message,
			   mc.count > 1 ? kt_arena_printf(a->arena, "; %zu records", mc.count) : "");
	kt_finding_advice(f, "A hardware error, not a kernel bug: decode the bank and status "
			  "with rasdaemon or mcelog --ascii for this CPU model, and check the "
			  "BMC/IPMI event log and EDAC counters for the failing DIMM or CPU.");
	kt_finding_advice(f, "Update the BIOS and CPU microcode; if errors repeat on one "
			  "DIMM or socket, replace it. In a VM, the host injected or forwarded "
			  "the error: look at the hypervisor's logs.");
}

const struct kt_analyzer kt_analyzer_mce = { "mce", analyze };
