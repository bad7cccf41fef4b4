// SPDX-License-Identifier: MIT
/*
 * ELF notes of a dump: the same blob whether it came from an ELF core's
 * PT_NOTE segments or from a kdump-compressed file's note area.  libelf's
 * gelf_getnote walks it; we keep an index and pick out VMCOREINFO and the
 * NT_PRSTATUS of each CPU.
 */
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/*
 * struct elf_prstatus of a 64-bit kernel: pr_pid at 32, pr_reg at 112, then
 * pr_fpvalid and padding.  pr_reg is 27 longs on x86-64 (note of 336
 * bytes), 34 on arm64 (x0-x30, sp, pc, pstate: 392 bytes).
 */
#define PRSTATUS_PID_OFFSET 32
#define PRSTATUS_REG_OFFSET 112
#define PRSTATUS_REG_SIZE (27 * 8)
#define PRSTATUS_ARM64_SIZE 392
#define PRSTATUS_ARM64_REG_SIZE (34 * 8)
#define MAX_NOTES 65536

/*
 * Room for element n of an array that has n elements and grows by
 * doubling from 8: a note blob can hold tens of thousands of notes.
 */
static bool grow(void **array, size_t n, size_t size)
{
	bool full = n == 0 || (n >= 8 && (n & (n - 1)) == 0);
	if (!full)
		return true;
	void *bigger = realloc(*array, (n ? 2 * n : 8) * size);
	if (!bigger)
		return false;
	*array = bigger;
	return true;
}

static struct kt_error *add_prstatus(struct kt_dump *dump,
				     const struct kt_note *note)
{
	if (note->desc_size < PRSTATUS_REG_OFFSET + PRSTATUS_REG_SIZE)
		return NULL; /* not a 64-bit prstatus; ignore rather than fail */
	if (!grow((void **)&dump->prstatus, dump->nr_prstatus, sizeof(*dump->prstatus)))
		return &kt_error_out_of_memory;
	struct kt_prstatus *p = &dump->prstatus[dump->nr_prstatus++];
	memcpy(&p->pid, note->desc + PRSTATUS_PID_OFFSET, sizeof(p->pid));
	p->regs = note->desc + PRSTATUS_REG_OFFSET;
	p->regs_size = note->desc_size == PRSTATUS_ARM64_SIZE ?
		PRSTATUS_ARM64_REG_SIZE : PRSTATUS_REG_SIZE;
	return NULL;
}

static struct kt_error *index_note(struct kt_dump *dump, const char *name,
				   uint32_t type, const uint8_t *desc,
				   size_t size)
{
	if (dump->nr_notes >= MAX_NOTES)
		return kt_error_create(KT_ERR_FORMAT, "%s: more than %d notes",
				       dump->info.path, MAX_NOTES);
	if (!grow((void **)&dump->notes, dump->nr_notes, sizeof(*dump->notes)))
		return &kt_error_out_of_memory;
	struct kt_note *note = &dump->notes[dump->nr_notes++];
	*note = (struct kt_note){ name, type, desc, size };
	if (strcmp(name, "CORE") == 0 && type == NT_PRSTATUS)
		return add_prstatus(dump, note);
	if (strcmp(name, "VMCOREINFO") == 0 && !dump->vmcoreinfo)
		return kt_dump_set_vmcoreinfo(dump, desc, size);
	return NULL;
}

struct kt_error *kt_dump_set_notes(struct kt_dump *dump, uint8_t *blob,
				   size_t len)
{
	free(dump->notes_blob);
	dump->notes_blob = blob;
	dump->notes_len = len;
	Elf_Data data = {
		.d_buf = blob,
		.d_type = ELF_T_NHDR,
		.d_version = EV_CURRENT,
		.d_size = len,
	};
	size_t offset = 0;
	GElf_Nhdr nhdr;
	size_t name_off, desc_off;
	size_t next;
	while (offset < len &&
	       (next = gelf_getnote(&data, offset, &nhdr, &name_off,
				    &desc_off)) > 0) {
		/* A name must be NUL-terminated inside the blob to be used. */
		const char *name = "";
		if (nhdr.n_namesz && blob[name_off + nhdr.n_namesz - 1] == '\0')
			name = (const char *)blob + name_off;
		struct kt_error *err = index_note(dump, name, nhdr.n_type,
						  blob + desc_off,
						  nhdr.n_descsz);
		if (err)
			return err;
		offset = next;
	}
	return NULL;
}

struct kt_error *kt_dump_set_vmcoreinfo(struct kt_dump *dump, const void *text,
					size_t len)
{
	/* The text ends at its first NUL: the note's size includes padding. */
	const char *end = memchr(text, '\0', len);
	if (end)
		len = (size_t)(end - (const char *)text);
	char *copy = malloc(len + 1);
	if (!copy)
		return &kt_error_out_of_memory;
	memcpy(copy, text, len);
	copy[len] = '\0';
	free(dump->vmcoreinfo);
	dump->vmcoreinfo = copy;
	dump->vmcoreinfo_len = len;
	return NULL;
}
