// SPDX-License-Identifier: MIT
/*
 * Symbolized frames as the kernel prints them, in the formats of the last
 * fifteen years and several architectures:
 *   x86 (4.x+)     "  __mutex_lock.constprop.0+0x39d/0x720"
 *                  "  ? __percpu_rwsem_trylock.part.0+0x60/0x60"
 *                  "  fork_write.cold+0x82/0xdb [ctrsvc]"
 *   x86 (<4.x)     " [<ffffffff81234567>] ? vfs_write+0xb8/0x1a0"
 *   RIP lines      "RIP: 0010:statsagg_flush_work+0x3a/0x4b [statsagg]"
 *                  "RIP: 0010:[<ffffffffbd3d1956>]  [<...>] sysrq_handle_crash+0x16/0x20"
 *   arm64          "pc : iomap_write_end+0x205/0x210", "  el0_svc+0x28/0x98"
 *   arm32          "[<80014428>] (unwind_backtrace+0x0/0xf8) from [<...>] (panic+0x84/0x1dc)"
 *   arm32 (old)    "PC is at sysrq_handle_crash+0x14/0x20"
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '$';
}

/* "name+0xOFF/0xSIZE" starting exactly at s; returns the end or NULL. */
static const char *parse_symbol(const char *s, const char **name_end,
				uint64_t *offset, uint64_t *size)
{
	const char *p = s;
	while (name_char(*p))
		p++;
	if (p == s || p[0] != '+' || p[1] != '0' || p[2] != 'x')
		return NULL;
	*name_end = p;
	char *end;
	*offset = strtoull(p + 3, &end, 16);
	if (end == p + 3)
		return NULL;
	*size = 0;
	if (end[0] == '/' && end[1] == '0' && end[2] == 'x') {
		const char *size_start = end + 3;
		*size = strtoull(size_start, &end, 16);
		if (end == size_start)
			return NULL;
	}
	return end;
}

/*
 * Frames printed without an offset: arm32's "(unwind_backtrace) from" and
 * syzbot's symbolized inline frames "context_switch kernel/sched/core.c:4972
 * [inline]".  Returns the end, or NULL.
 */
static const char *parse_bare_symbol(const char *s, const char **name_end, bool *inlined,
				     bool in_parens)
{
	const char *p = s;
	while (name_char(*p))
		p++;
	if (p == s || (!isalpha((unsigned char)*s) && *s != '_'))
		return NULL;
	*name_end = p;
	if (*p == ')' && in_parens)
		return p + 1;
	if (*p != ' ')
		return NULL;
	/* "name path/file.c:123 [inline]" */
	const char *path = p + 1;
	const char *colon = strchr(path, ':');
	const char *space = strchr(path, ' ');
	if (!colon || (space && space < colon) || !strchr(path, '/') ||
	    !isdigit((unsigned char)colon[1]))
		return NULL;
	*inlined = strstr(path, "[inline]") != NULL;
	return p;
}

/* Skip "[<ffffffff81234567>]" and "[c000000000123456]" address tokens. */
static const char *skip_addresses(const char *p, bool *unreliable)
{
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '?' && p[1] == ' ') {
			*unreliable = true;
			p += 2;
			continue;
		}
		if (*p != '[')
			return p;
		const char *close = strchr(p, ']');
		if (!close || close - p > 24)
			return p;
		bool address = true;
		for (const char *q = p + 1; q < close; q++)
			if (!isxdigit((unsigned char)*q) && *q != '<' && *q != '>' && *q != ' ')
				address = false;
		if (!address)
			return p;
		p = close + 1;
	}
}

static void parse_module(struct kt_arena *arena, const char *p,
			 struct kt_text_frame *frame)
{
	while (*p == ' ')
		p++;
	if (*p != '[')
		return;
	size_t len = strcspn(p + 1, "] ");
	if (len && p[1 + len] == ']' && strncmp(p + 1, "inline]", 7) != 0)
		frame->module = kt_arena_strndup(arena, p + 1, len);
}

bool kt_frame_parse(struct kt_arena *arena, const char *text,
		    struct kt_text_frame *frame)
{
	*frame = (struct kt_text_frame){ 0 };
	const char *p = text;
	/* Register-line forms: "RIP: 0010:", "pc : ", "PC is at ", "IP: ". */
	static const char *const leads[] = { "RIP: ", "EIP: ", "IP: ", "pc : ",
					     "PC is at ", "NIP [", "epc : " };
	bool lead = false;
	for (size_t i = 0; i < sizeof(leads) / sizeof(leads[0]); i++) {
		const char *at = strstr(p, leads[i]);
		if (at && at - p < 8) {
			lead = true;
			p = at + strlen(leads[i]);
			if (isxdigit((unsigned char)p[0]) && isxdigit((unsigned char)p[1]) &&
			    isxdigit((unsigned char)p[2]) && isxdigit((unsigned char)p[3]) && p[4] == ':')
				p += 5; /* the code segment: "0010:" */
			break;
		}
	}
	p = skip_addresses(p, &frame->unreliable);
	bool in_parens = *p == '(';
	if (in_parens) /* arm32: "(unwind_backtrace+0x0/0xf8) from ..." */
		p++;
	const char *name_end;
	const char *end = parse_symbol(p, &name_end, &frame->offset, &frame->size);
	if (!end)
		end = parse_bare_symbol(p, &name_end, &frame->inlined, in_parens);
	if (!end) {
		/* "NIP [c0000000001234] func+0x1/0x2": the symbol after one more token */
		const char *space = lead ? strstr(p, "] ") : NULL;
		if (!space)
			return false;
		p = skip_addresses(space + 2, &frame->unreliable);
		end = parse_symbol(p, &name_end, &frame->offset, &frame->size);
		if (!end)
			return false;
	}
	frame->function = kt_arena_strndup(arena, p, (size_t)(name_end - p));
	if (*end == ')')
		end++;
	parse_module(arena, end, frame);
	return frame->function != NULL;
}

void kt_function_base(const char *function, char *out, size_t size)
{
	if (!size)
		return;
	size_t len = strcspn(function, ".");
	if (len >= size)
		len = size - 1;
	memcpy(out, function, len);
	out[len] = '\0';
}

bool kt_function_is(const char *function, const char *base)
{
	size_t len = strlen(base);
	return function && strncmp(function, base, len) == 0 &&
	       (function[len] == '\0' || function[len] == '.');
}

bool kt_function_has_prefix(const char *function, const char *prefix)
{
	return function && strncmp(function, prefix, strlen(prefix)) == 0;
}

/* Exact names (suffixes aside) that say nothing about a particular crash. */
static const char *const plumbing[] = {
	"__schedule", "schedule", "context_switch", "schedule_timeout", "schedule_loop", "__schedule_loop",
	"rt_mutex_schedule", "schedule_rtlock", "schedule_preempt_disabled",
	"schedule_hrtimeout_range_clock", "schedule_hrtimeout_range",
	"io_schedule", "io_schedule_timeout", "preempt_schedule_common",
	"dump_stack", "dump_stack_lvl", "show_stack", "dump_backtrace",
	"unwind_backtrace", "panic", "vpanic", "die", "oops_end", "__die",
	"__warn", "warn_slowpath_fmt", "warn_slowpath_null", "report_bug",
	"handle_bug", "do_error_trap", "do_trap", "do_invalid_op",
	"kthread", "ret_from_fork", "ret_from_fork_asm", "worker_thread",
	"process_one_work", "process_scheduled_works", "smpboot_thread_fn",
	"do_syscall_64", "do_syscall_x64", "do_syscall_32_irqs_on", "do_fast_syscall_32",
	"syscall_exit_to_user_mode", "exit_to_user_mode_prepare",
	"__x64_sys_write", "ksys_write", "vfs_write", "__vfs_write",
	"new_sync_write", "proc_reg_write", "do_int3", "exc_int3",
	"do_user_addr_fault", "__do_page_fault", "do_page_fault",
	"page_fault_oops", "no_context", "__bad_area_nosemaphore",
	"bad_area_nosemaphore", "kernelmode_fixup_or_oops",
	"handle_softirqs", "__do_softirq", "do_softirq", "irq_exit", "irq_exit_rcu",
	"__irq_exit_rcu", "invoke_softirq", "do_IRQ", "common_interrupt",
	"el0_svc", "el0_svc_common", "el0t_64_sync", "el0t_64_sync_handler",
	"el1h_64_sync", "el1h_64_sync_handler", "el1_abort", "do_mem_abort",
	"invoke_syscall", "do_el0_svc", "ret_fast_syscall", "vector_swi",
	"cpu_startup_entry", "do_idle", "start_secondary", "rest_init",
	"arch_call_rest_init", "start_kernel", "secondary_startup_64",
	"secondary_startup_64_no_verify", "x86_64_start_kernel",
	"x86_64_start_reservations", "native_safe_halt", "default_idle",
	"default_idle_call", "arch_cpu_idle", "cpuidle_enter", "cpuidle_enter_state",
	"call_cpuidle", "do_exit", "do_group_exit", "get_signal",
	"arch_do_signal_or_restart", "arch_do_signal",
};

static const char *const plumbing_prefixes[] = {
	"entry_SYSCALL", "asm_", "exc_", "sysvec_", "__sysvec_", "handle_irq",
	"irq_", "el0_", "el1_", "ret_to_user", "__x64_sys_", "__arm64_sys_",
	"__se_sys_", "__do_sys_", "sys_", "SyS_", "system_call",
	"__sched_text_start", "__switch_to", "__cpuidle_text_start", "__traceiter_",
};

bool kt_function_is_plumbing(const char *function)
{
	if (!function)
		return true;
	for (size_t i = 0; i < sizeof(plumbing) / sizeof(plumbing[0]); i++)
		if (kt_function_is(function, plumbing[i]))
			return true;
	for (size_t i = 0; i < sizeof(plumbing_prefixes) / sizeof(plumbing_prefixes[0]); i++)
		if (kt_function_has_prefix(function, plumbing_prefixes[i]))
			return true;
	return false;
}

void kt_normalize_comm(const char *comm, char *out, size_t size)
{
	size_t n = 0;
	for (const char *p = comm; p && *p && n + 1 < size; p++) {
		if (isdigit((unsigned char)*p)) {
			while (isdigit((unsigned char)p[1]))
				p++;
			out[n++] = 'N';
		} else {
			out[n++] = *p;
		}
	}
	if (size)
		out[n] = '\0';
}

const char *kt_site_file(const char *file)
{
	if (!file || file[0] != '/')
		return file;
	/* Out-of-tree builds print where they were built: keep "module/file.c". */
	const char *last = strrchr(file, '/');
	const char *p = last;
	while (p > file && p[-1] != '/')
		p--;
	return p > file ? p : last + 1;
}
