// SPDX-License-Identifier: MIT
/*
 * Values the kernel writes on purpose into memory it retired
 * (include/linux/poison.h): seeing one in a faulting address or a register
 * says what the code touched.
 */
#include "internal.h"

const char *kt_poison_name(uint64_t value)
{
	/* x86-64 LIST_POISON1/2 carry POISON_POINTER_DELTA 0xdead000000000000. */
	/* 0x100/0x122 since 4.x; 0x00100100/0x00200200 before. */
	if (value == 0xdead000000000100ull || value == 0xdead000000100100ull ||
	    value == 0x00100100)
		return "LIST_POISON1: a list entry used after list_del()";
	if (value == 0xdead000000000122ull || value == 0xdead000000200200ull ||
	    value == 0x00200200)
		return "LIST_POISON2: a list entry used after list_del()";
	if (value == 0x6b6b6b6b6b6b6b6bull)
		return "POISON_FREE (0x6b): memory used after kfree()";
	if (value == 0x5a5a5a5a5a5a5a5aull)
		return "POISON_INUSE (0x5a): uninitialised slab memory";
	if (value == 0xa5a5a5a5a5a5a5a5ull)
		return "POISON_END: memory used after kfree()";
	if ((value >> 32) == 0xdead4eadull || (value & 0xffffffffull) == 0xdead4eadull)
		return "SPINLOCK_MAGIC (0xdead4ead): a spinlock read as a pointer";
	if (value == 0xdead000000000400ull)
		return "TIMER_ENTRY_STATIC: a timer_list never initialised";
	return NULL;
}
