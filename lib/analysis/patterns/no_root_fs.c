// SPDX-License-Identifier: MIT
/*
 * no_root_fs: the kernel booted but found nothing to run.  init/do_mounts.c
 * panics "VFS: Unable to mount root fs on <dev>" when no root= device could
 * be opened or mounted; init/main.c panics "No working init found" (or
 * "Requested init X failed") when no init could be executed.  Both are boot
 * configuration, not kernel bugs: the command line, the initramfs, the
 * storage driver or the root filesystem itself.
 */
#include <stdio.h>
#include <string.h>

#include "report.h"

/* The boot lines that say why: the root= the kernel tried, the partitions it saw. */
static const char *const telling[] = {
	"Kernel command line:", "VFS: Cannot open root device", "Please append a correct",
	"List of all partitions", "No filesystem could mount root", "Failed to execute",
	"Run /", "Starting init:", "Requested init", "unknown-block",
};

static void add_context(struct kt_analysis *a, struct kt_finding_draft *f)
{
	const struct kt_log_facts *facts = a->facts;
	size_t n = kt_log_text_count(a->log);
	for (size_t i = 0; i < n && i < facts->panic_line; i++) {
		const char *s = kt_log_facts_line(facts, i);
		for (size_t k = 0; k < sizeof(telling) / sizeof(telling[0]); k++)
			if (strstr(s, telling[k])) {
				kt_finding_add_line(f, i);
				break;
			}
	}
}

static void advise_mount(struct kt_finding_draft *f, const char *panic)
{
	kt_finding_fact(f, "stage", "mount root");
	if (strstr(panic, "unknown-block(0,0)"))
		kt_finding_advice(f, "unknown-block(0,0): the kernel has no device for root= at "
				  "all. An initramfs that did not load or lacks the storage driver "
				  "(NVMe, virtio, SCSI/RAID, LVM/dm) is the usual cause: rebuild it "
				  "(update-initramfs -u -k <release> / dracut -f) and check the boot "
				  "loader passes it.");
	kt_finding_advice(f, "Check root= on the kernel command line (UUID=, LABEL= or device "
			  "name) against the partitions the kernel listed before the panic, and "
			  "that the root filesystem's driver (ext4, xfs, btrfs) is built in or "
			  "in the initramfs.");
}

static void analyze(struct kt_analysis *a)
{
	const struct kt_log_facts *facts = a->facts;
	bool mount = kt_panic_says(facts, "VFS: Unable to mount root fs");
	bool init = kt_panic_says(facts, "No working init found") ||
		    kt_panic_says(facts, "Requested init");
	if ((!mount && !init) || kt_analysis_event_claimed(a, facts->panic_line))
		return;
	struct kt_finding_draft *f = kt_finding_new(a, "no_root_fs", KT_CLAIM_PANIC,
						    facts->panic_line, 0.75);
	if (!f)
		return;
	kt_finding_add_panic(a, f);
	add_context(a, f);
	if (facts->panic_pid >= 0) {
		struct kt_evidence_task *t = kt_finding_add_task(f, facts->panic_pid,
								 facts->panic_comm, KT_FROM_LOG);
		if (t) {
			t->role = mount ? "mounting the root filesystem" : "starting init";
			kt_task_set_frames(f, t, &facts->panic_trace);
		}
	}
	kt_finding_fact(f, "panic", "%s", facts->panic);
	kt_finding_sign(f, "stage:%s", mount ? "mount" : "init");
	if (mount) {
		advise_mount(f, facts->panic);
		kt_finding_summary(f, "No root filesystem: %s; the machine never reached user space",
				   facts->panic);
	} else {
		kt_finding_fact(f, "stage", "run init");
		kt_finding_summary(f, "No init could run: %s", facts->panic);
		kt_finding_advice(f, "The root filesystem mounted but no init ran: check init= "
				  "and rdinit=, that /sbin/init (or the initramfs's /init) exists, "
				  "is executable and matches the architecture, and that its "
				  "libraries are present (the \"Failed to execute\" lines give the "
				  "error: -2 missing, -8 wrong format).");
	}
}

const struct kt_analyzer kt_analyzer_no_root_fs = { "no_root_fs", analyze };
