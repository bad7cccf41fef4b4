// SPDX-License-Identifier: MIT
/*
 * A task's state, from task_struct.__state (.state before 5.14) and
 * .exit_state, reported as the kernel itself reports it in /proc
 * (fs/proc/array.c, __task_state_index()), with crash's two-letter names.
 *
 * The TASK_* bits are #defines in include/linux/sched.h: BTF and DWARF do
 * not carry them.  The kernel's own table does: fs/proc/array.c's
 * task_state_array holds one "L (name)" string per bit /proc reports, in
 * bit order ("R" for 0, then S 0x1, D 0x2, T, t, X, Z, and P 0x40 since
 * 4.14).  The bits it does not list follow from whether it reports
 * PARKED, as the two layouts since 3.15 have them:
 *   4.14+:  PARKED moved down to 0x40 so that /proc can report it, after
 *           DEAD 0x80, WAKEKILL 0x100, WAKING 0x200 ("sched/debug: Convert
 *           TASK_state to hex"); 5.15 added RTLOCK_WAIT 0x1000.
 *   before: DEAD 0x40, WAKEKILL 0x80, WAKING 0x100, PARKED 0x200.
 * The low bits (INTERRUPTIBLE 1 ... EXIT_ZOMBIE 0x20), NOLOAD 0x400 (4.2+)
 * and NEW 0x800 (4.8+) are the same in both.  RTLOCK_WAIT came with the
 * rtmutex split of 5.15, so struct rt_mutex_base says it is there.  Only a
 * kernel whose table cannot be read (not in kallsyms without
 * CONFIG_KALLSYMS_ALL) falls back on its version (task_layout.c).
 */
#include <string.h>

#include "internal.h"

static void bits_of_layout(bool parked_reported, bool rtlock_wait,
			   struct kt_task_state_bits *b)
{
	*b = (struct kt_task_state_bits){
		.interruptible = 0x1,
		.uninterruptible = 0x2,
		.stopped = 0x4,
		.traced = 0x8,
		.exit_dead = 0x10,
		.exit_zombie = 0x20,
		.noload = 0x400,
		.new_task = 0x800,
	};
	if (parked_reported) {
		b->parked = 0x40;
		b->dead = 0x80;
		b->wakekill = 0x100;
		b->waking = 0x200;
		b->rtlock_wait = rtlock_wait ? 0x1000 : 0;
		b->report = 0x7f; /* R S D T t X Z P */
	} else {
		b->dead = 0x40;
		b->wakekill = 0x80;
		b->waking = 0x100;
		b->parked = 0x200;
		b->report = 0x3f; /* R S D T t X Z: parked was not reported */
	}
}

void kt_task_state_bits_for(unsigned major, unsigned minor,
			    struct kt_task_state_bits *b)
{
	bool since_4_14 = major > 4 || (major == 4 && minor >= 14);
	bool since_5_15 = major > 5 || (major == 5 && minor >= 15);
	bits_of_layout(since_4_14, since_5_15, b);
}

#define MAX_STATE_NAMES 16

/* The letters of task_state_array, "RSDTtXZPI" on 6.1; 0 when unreadable. */
static size_t read_state_letters(struct kt_kernel *k, char *letters, size_t max)
{
	uint64_t array;
	struct kt_error *err = kt_symbol_address(k, "task_state_array", &array);
	size_t n = 0;
	for (; !err && n < max; n++) {
		uint64_t name;
		char text[2];
		if ((err = kt_kernel_read_u64(k, array + n * 8, &name)))
			break;
		if (!kt_kernel_is_kernel_address(k, name) ||
		    (err = kt_kernel_read(k, name, text, sizeof(text))) ||
		    !text[0] || text[1] != ' ' || !strchr("RSDTtXZPxKWI", text[0]))
			break;
		letters[n] = text[0];
	}
	kt_error_free(err);
	return n;
}

bool kt_task_state_bits_of(struct kt_kernel *k, struct kt_task_state_bits *b)
{
	char letters[MAX_STATE_NAMES];
	size_t n = read_state_letters(k, letters, sizeof(letters));
	if (n < 7 || memcmp(letters, "RSDTtXZ", 7) != 0)
		return false;
	bool parked_reported = n > 7 && letters[7] == 'P';
	bits_of_layout(parked_reported,
		       kt_type_has_member(k, "struct rt_mutex_base", "owner"), b);
	return true;
}

static uint64_t highest_bit(uint64_t v)
{
	return v ? 1ull << (63 - __builtin_clzll(v)) : 0;
}

/* The state of the one bit /proc would report. */
static enum kt_task_state reported_state(const struct kt_task_state_bits *b,
					 uint64_t bit)
{
	if (bit == b->interruptible)
		return KT_TASK_INTERRUPTIBLE;
	if (bit == b->uninterruptible)
		return KT_TASK_UNINTERRUPTIBLE;
	if (bit == b->stopped)
		return KT_TASK_STOPPED;
	if (bit == b->traced)
		return KT_TASK_TRACED;
	if (bit == b->exit_dead)
		return KT_TASK_DEAD;
	if (bit == b->exit_zombie)
		return KT_TASK_ZOMBIE;
	if (bit == b->parked)
		return KT_TASK_PARKED;
	return KT_TASK_UNKNOWN;
}

enum kt_task_state kt_task_state_decode(const struct kt_task_state_bits *b,
					uint64_t state, uint64_t exit_state)
{
	/* TASK_IDLE = TASK_UNINTERRUPTIBLE | TASK_NOLOAD, other bits aside:
	 * an idle kernel thread, not a blocked one. */
	uint64_t idle = b->uninterruptible | b->noload;
	if (b->noload && (state & idle) == idle)
		return KT_TASK_IDLE;
	/* PREEMPT_RT sleeping "spinlocks": the kernel shows them as D. */
	if (b->rtlock_wait && state == b->rtlock_wait)
		return KT_TASK_UNINTERRUPTIBLE;
	uint64_t reported = (state | exit_state) & b->report;
	if (reported)
		return reported_state(b, highest_bit(reported));
	/* /proc says R for these; crash names them, and so do we. */
	if (state & b->dead)
		return KT_TASK_DEAD;
	if (state & b->parked)
		return KT_TASK_PARKED;
	if (state & b->waking)
		return KT_TASK_WAKING;
	if (state & b->new_task)
		return KT_TASK_NEW;
	return KT_TASK_RUNNING;
}

const char *kt_task_state_name(enum kt_task_state state)
{
	static const char *const names[] = {
		[KT_TASK_RUNNING] = "RU",
		[KT_TASK_INTERRUPTIBLE] = "IN",
		[KT_TASK_UNINTERRUPTIBLE] = "UN",
		[KT_TASK_IDLE] = "ID",
		[KT_TASK_STOPPED] = "ST",
		[KT_TASK_TRACED] = "TR",
		[KT_TASK_ZOMBIE] = "ZO",
		[KT_TASK_DEAD] = "DE",
		[KT_TASK_PARKED] = "PA",
		[KT_TASK_NEW] = "NE",
		[KT_TASK_WAKING] = "WA",
		[KT_TASK_UNKNOWN] = "??",
	};
	if ((unsigned)state < sizeof(names) / sizeof(names[0]) && names[state])
		return names[state];
	return "??";
}
