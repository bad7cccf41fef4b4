// SPDX-License-Identifier: MIT
/*
 * Which task crashed the machine.  panic() records its CPU in panic_cpu
 * (PANIC_CPU_INVALID, -1, otherwise); the task is the one current on that
 * CPU.  An oops on a kernel with a crash kernel loaded kexecs straight from
 * oops_end() without panic(), so failing panic_cpu, the CPU whose saved
 * registers lie in __crash_kexec (crash_setup_regs) is the one.
 */
#include <string.h>

#include "internal.h"

static int cpu_in_crash_kexec(struct kt_kernel *k)
{
	for (unsigned cpu = 0; cpu < kt_kernel_nr_cpus(k); cpu++) {
		struct kt_regs regs;
		struct kt_symbol sym;
		uint64_t offset;
		if (!kt_cpu_registers(k, cpu, &regs))
			continue;
		struct kt_error *err = kt_symbol_at(k, regs.ip, &sym, &offset);
		bool found = !err && strcmp(sym.name, "__crash_kexec") == 0;
		kt_error_free(err);
		if (found)
			return (int)cpu;
	}
	return -1;
}

const struct kt_task *kt_task_panic(struct kt_kernel *k)
{
	uint64_t address;
	uint32_t cpu = UINT32_MAX;
	struct kt_error *err = kt_symbol_address(k, "panic_cpu", &address);
	if (!err)
		err = kt_kernel_read_u32(k, address, &cpu);
	kt_error_free(err);
	if (cpu < kt_kernel_nr_cpus(k))
		return kt_task_current(k, cpu);
	int crashed = cpu_in_crash_kexec(k);
	return crashed >= 0 ? kt_task_current(k, (unsigned)crashed) : NULL;
}
