/* SPDX-License-Identifier: MIT */
/*
 * Crash directory layouts: what a file found under /var/crash (or
 * systemd-pstore's directory) is, from its name, its directory and its first
 * bytes.
 *
 *   RHEL kdump       DIR/vmcore (DIR/vmcore-incomplete while written),
 *                    DIR/vmcore-dmesg.txt, DIR/vmcore.flat for ssh targets
 *   Debian kdump-tools  YYYYMMDDHHMM/dump.YYYYMMDDHHMM (dump-incomplete while
 *                    written) and dmesg.YYYYMMDDHHMM
 *   plain            any file starting with a dump's magic (ELF core,
 *                    "KDUMP   ", "DISKDUMP"), or named *.vmcore, vmcore.*,
 *                    *.kdump
 *   flattened        makedumpfile -F streams ("makedumpfile" magic, *.flat)
 *   pstore           PSTORE/ID/dmesg.txt written by systemd-pstore: log only
 *
 * A log written beside a dump (vmcore-dmesg.txt, dmesg.STAMP) is a
 * "companion": it is triaged on its own only when its directory holds no
 * dump, e.g. when makedumpfile failed but the log was saved.
 */
#ifndef KTRIAGE_LAYOUT_H
#define KTRIAGE_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum kt_input_kind {
	KT_INPUT_IGNORE,  /* not ours: apport reports, temporary files... */
	KT_INPUT_PARTIAL, /* a dump still being written: wait for its rename */
	KT_INPUT_DUMP,
	KT_INPUT_LOG,
};

struct kt_layout_match {
	enum kt_input_kind kind;
	const char *layout;  /* "rhel-kdump", "kdump-tools", "plain", "flattened", "pstore" */
	bool companion;      /* a log beside a dump */
};

/* Bytes of the file's start that kt_layout_classify looks at. */
#define KT_LAYOUT_HEAD_SIZE 32

/*
 * Classify path.  head holds the file's first bytes (head_len may be short
 * or 0: a file being created); in_pstore says the file lies under the
 * pstore directory.
 */
struct kt_layout_match kt_layout_classify(const char *path, bool in_pstore,
					  const uint8_t *head, size_t head_len);

/* Do the first bytes look like a dump (ELF core, kdump, flattened)? */
const char *kt_layout_dump_magic(const uint8_t *head, size_t head_len);

/* Does the directory hold a dump, or one being written? */
bool kt_layout_dir_has_dump(const char *dir);

/*
 * The log kdump saved beside a dump (dmesg.STAMP of dump.STAMP,
 * vmcore-dmesg.txt, *-dmesg.txt): its path in out, false when there is none.
 */
bool kt_layout_companion_log(const char *dump_path, char *out, size_t size);

#endif
