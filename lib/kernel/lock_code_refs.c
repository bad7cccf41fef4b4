// SPDX-License-Identifier: MIT
/*
 * Readers whose stacks do not keep the lock's address.  A reader that holds
 * a percpu_rw_semaphore or an rw_semaphore while it sleeps on something
 * else must release it later, from one of the functions on its stack; when
 * the compiler reloads the lock's address from memory instead of keeping it
 * in a register, the stack has no trace of it, but that function's code
 * does: x86-64 reaches a global through a RIP-relative disp32 (lea or mov),
 * either the lock itself (percpu_down_read(&cgroup_threadgroup_rwsem)) or a
 * pointer variable that holds its address.  A task that is neither a waiter
 * nor the writer, with a frame in such a function, is taken for a reader.
 *
 * No instruction is decoded: every 4-byte window of the function is tried as
 * the last field of an instruction, which is where a disp32 of lea/mov sits;
 * a window that lands exactly on the lock, or on the start of a data symbol
 * holding its address, by chance is vanishingly rare.
 */
#include <stdlib.h>
#include <string.h>

#include "locks.h"

/* No function worth scanning is larger than this. */
#define MAX_FUNCTION_BYTES (16u << 10)

/* Does one disp32 window, as the end of an instruction at pc, reach the lock? */
static bool window_refers(struct kt_kernel *k, uint64_t end, int32_t disp, uint64_t lock)
{
	uint64_t target = end + (uint64_t)(int64_t)disp, value, offset;
	if (target == lock)
		return true;
	/* A pointer variable is a data symbol of its own: only those are read,
	 * so a random window costs a symbol lookup, not a page of the dump. */
	struct kt_symbol sym;
	if (target & 7)
		return false;
	struct kt_error *err = kt_symbol_at(k, target, &sym, &offset);
	if (err || offset || !strchr("dDbB", sym.type) || !sym.type) {
		kt_error_free(err);
		return false;
	}
	err = kt_kernel_read_u64(k, target, &value);
	kt_error_free(err);
	return !err && value == lock;
}

bool kt_lock_code_refers(struct kt_kernel *k, uint64_t pc, uint64_t lock)
{
	struct kt_symbol sym;
	uint64_t offset;
	struct kt_error *err = kt_symbol_at(k, pc, &sym, &offset);
	if (err || !sym.size || sym.size > MAX_FUNCTION_BYTES) {
		kt_error_free(err);
		return false;
	}
	uint8_t *code = malloc((size_t)sym.size);
	if (!code)
		return false;
	err = kt_kernel_read(k, sym.address, code, (size_t)sym.size);
	bool found = false;
	for (uint64_t i = 0; !err && !found && i + 4 <= sym.size; i++) {
		int32_t disp;
		memcpy(&disp, code + i, sizeof(disp));
		/* Only displacements that reach the kernel's or a module's data. */
		uint64_t target = sym.address + i + 4 + (uint64_t)(int64_t)disp;
		if (target >> 47 != 0x1ffff)
			continue;
		found = window_refers(k, sym.address + i + 4, disp, lock);
	}
	kt_error_free(err);
	free(code);
	return found;
}
