// SPDX-License-Identifier: MIT
/*
 * Taint: the kernel's tainted_mask and each module's taints as the letters
 * of kernel/panic.c's taint_flags table.  Bits are only ever appended to
 * that table, so one table read from the newest kernel serves every older
 * one; a bit beyond it prints as '?', never silently dropped.
 */
#include <stdio.h>
#include <string.h>

#include "modules.h"

struct taint_flag {
	char letter;  /* c_true: what the kernel prints when the bit is set */
	bool module;  /* a taint a module can carry (module_flags_taint) */
};

/* Indexed by bit, in the kernel's order (TAINT_PROPRIETARY_MODULE = 0...). */
static const struct taint_flag taint_flags[] = {
	{ 'P', true },  /* PROPRIETARY_MODULE */
	{ 'F', true },  /* FORCED_MODULE */
	{ 'S', false }, /* CPU_OUT_OF_SPEC */
	{ 'R', false }, /* FORCED_RMMOD */
	{ 'M', false }, /* MACHINE_CHECK */
	{ 'B', false }, /* BAD_PAGE */
	{ 'U', false }, /* USER */
	{ 'D', false }, /* DIE */
	{ 'A', false }, /* OVERRIDDEN_ACPI_TABLE */
	{ 'W', false }, /* WARN */
	{ 'C', true },  /* CRAP (staging) */
	{ 'I', false }, /* FIRMWARE_WORKAROUND */
	{ 'O', true },  /* OOT_MODULE */
	{ 'E', true },  /* UNSIGNED_MODULE */
	{ 'L', false }, /* SOFTLOCKUP */
	{ 'K', true },  /* LIVEPATCH */
	{ 'X', true },  /* AUX */
	{ 'T', true },  /* RANDSTRUCT */
	{ 'N', true },  /* TEST */
	{ 'J', true },  /* FWCTL */
};

#define NR_TAINT_FLAGS (sizeof(taint_flags) / sizeof(taint_flags[0]))

static void letters_of(uint64_t mask, bool modules_only, char *letters,
		       size_t size)
{
	size_t n = 0;
	if (!size)
		return;
	for (unsigned bit = 0; bit < 64 && n + 1 < size; bit++) {
		if (!(mask & (1ull << bit)))
			continue;
		if (bit >= NR_TAINT_FLAGS)
			letters[n++] = '?';
		else if (!modules_only || taint_flags[bit].module)
			letters[n++] = taint_flags[bit].letter;
	}
	letters[n] = '\0';
}

void kt_taint_letters(uint64_t mask, char *letters, size_t size)
{
	letters_of(mask, false, letters, size);
}

void kt_module_taint_letters(uint64_t mask, char *letters, size_t size)
{
	letters_of(mask, true, letters, size);
}

struct kt_error *kt_kernel_taint(struct kt_kernel *k, uint64_t *mask,
				 char *letters, size_t size)
{
	uint64_t address, value;
	struct kt_error *err = kt_symbol_address(k, "tainted_mask", &address);
	if (!err)
		err = kt_kernel_read_u64(k, address, &value);
	if (err)
		return kt_error_wrap(err, "%s: tainted_mask", kt_dump_info(k->dump)->path);
	if (mask)
		*mask = value;
	if (letters)
		kt_taint_letters(value, letters, size);
	return NULL;
}
