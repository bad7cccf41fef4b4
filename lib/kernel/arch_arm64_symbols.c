// SPDX-License-Identifier: MIT
/*
 * Data symbols of arm64 kernels built without CONFIG_KALLSYMS_ALL (Debian's
 * arm64 kernels, for one): kallsyms then lists only text, yet the model
 * needs runqueues, __per_cpu_offset, init_task, the BTF section, modules.
 * Without debuginfo, the kernel's own code says where they are: a global is
 * reached by ADRP (its 4 KiB page, pc-relative) then ADD or LDR/STR with
 * the low 12 bits, so the functions that use one (found by name in
 * kallsyms) name its address.  Each candidate the code gives is only
 * accepted when the memory there is what the symbol must be (a runqueue
 * whose cpu is 0, a task called swapper/0, a list whose first entry points
 * back).  The BTF section is found by its header in the image.  Nothing is
 * trusted: instruction counts, candidates and scans are bounded.
 */
#include <string.h>

#include "arch_arm64.h"

#define MAX_INSNS 96
#define MAX_TARGETS 24
#define SWAPPER "swapper/0"

static void add_target(uint64_t *targets, size_t *n, size_t max, uint64_t target)
{
	for (size_t j = 0; j < *n; j++)
		if (targets[j] == target)
			return;
	if (*n < max)
		targets[(*n)++] = target;
}

static int64_t sign_extend(uint64_t value, unsigned bits)
{
	uint64_t sign = 1ull << (bits - 1);
	return (int64_t)((value ^ sign) - sign);
}

/*
 * Addresses a function forms from ADRP: ADD results and the addresses of
 * loads and stores off a register ADRP/ADD set (pure: unit-tested).  GCC's
 * section anchors address several globals from one ADRP + ADD, so chains
 * are followed.  Other instructions are not modelled: a stale register
 * only adds a candidate, which the caller's check then refuses.
 */
size_t kt_arm64_code_targets(const uint32_t *insns, size_t count, uint64_t pc,
			     uint64_t *targets, size_t max)
{
	uint64_t value[32] = { 0 };
	uint32_t known = 0;
	size_t n = 0;
	for (size_t i = 0; i < count; i++, pc += 4) {
		uint32_t insn = insns[i], rd = insn & 0x1f, rn = (insn >> 5) & 0x1f;
		bool base = rn != 31 && (known & (1u << rn));
		if ((insn & 0x9f000000u) == 0x90000000u) { /* ADRP */
			uint64_t imm = (((insn >> 5) & 0x7ffff) << 2) | ((insn >> 29) & 3);
			value[rd] = (pc & ~0xfffull) + (uint64_t)(sign_extend(imm, 21) * 4096);
			known |= 1u << rd;
		} else if ((insn & 0xff800000u) == 0x91000000u) { /* ADD Xd, Xn, #imm{, lsl 12} */
			uint64_t imm = (uint64_t)((insn >> 10) & 0xfff) << ((insn >> 22) & 1 ? 12 : 0);
			if (base) {
				value[rd] = value[rn] + imm;
				add_target(targets, &n, max, value[rd]);
				known |= 1u << rd;
			} else {
				known &= ~(1u << rd);
			}
		} else if ((insn & 0xbf800000u) == 0xb9000000u) { /* LDR/STR Xt|Wt, [Xn, #imm] */
			unsigned size = insn & 0x40000000u ? 8 : 4;
			if (base)
				add_target(targets, &n, max, value[rn] + ((insn >> 10) & 0xfff) * size);
			if (insn & 0x00400000u)
				known &= ~(1u << rd);
		} else if ((insn & 0xffa00400u) == 0xf8000400u) { /* LDR/STR Xt, [Xn, #s9]! or post */
			int64_t imm = sign_extend((insn >> 12) & 0x1ff, 9);
			if (base) {
				bool pre = insn & 0x800u;
				add_target(targets, &n, max, value[rn] + (pre ? (uint64_t)imm : 0));
				value[rn] += (uint64_t)imm;
			}
			if (insn & 0x00400000u)
				known &= ~(1u << rd);
		} else if ((insn & 0xffe00c00u) == 0xf8600800u) { /* LDR Xt, [Xn, Xm{, lsl #3}] */
			if (base)
				add_target(targets, &n, max, value[rn]);
			known &= ~(1u << rd);
		}
	}
	return n;
}

/* The function's own instructions only: up to the next symbol, at most MAX_INSNS. */
static size_t function_targets(struct kt_kernel *k, const char *function,
			       uint64_t *targets)
{
	uint64_t address, offset;
	uint32_t insns[MAX_INSNS];
	struct kt_symbol sym;
	struct kt_error *err = kt_symbol_address(k, function, &address);
	if (!err)
		err = kt_symbol_at(k, address, &sym, &offset);
	size_t count = MAX_INSNS;
	if (!err && sym.size && sym.size / 4 < count)
		count = (size_t)(sym.size / 4);
	if (!err)
		err = kt_kernel_read(k, address, insns, count * 4);
	if (err) {
		kt_error_free(err);
		return 0;
	}
	return kt_arm64_code_targets(insns, count, address, targets, MAX_TARGETS);
}

static bool is_swapper(struct kt_kernel *k, uint64_t task)
{
	uint64_t comm_offset, pid;
	char comm[16];
	struct kt_error *err = kt_type_offsetof(k, "struct task_struct", "comm", &comm_offset);
	if (!err)
		err = kt_kernel_read(k, task + comm_offset, comm, sizeof(comm));
	kt_error_free(err);
	return !err && memcmp(comm, SWAPPER, sizeof(SWAPPER)) == 0 &&
	       kt_try_member(k, task, "struct task_struct", "pid", &pid) && pid == 0;
}

/*
 * idle_cpu(cpu) is cpu_rq(cpu): per_cpu(runqueues, cpu), the template's
 * address plus __per_cpu_offset[cpu].  Of its targets, the pair whose CPU 0
 * runqueue says cpu 0 and runs swapper/0 as its idle task is the one; that
 * idle task is init_task.
 */
static void recover_per_cpu(struct kt_kernel *k, struct kt_arm64_data_symbols *d)
{
	static const char *const functions[] = { "idle_cpu", "available_idle_cpu", "nr_iowait_cpu" };
	for (size_t f = 0; f < sizeof(functions) / sizeof(functions[0]); f++) {
		uint64_t t[MAX_TARGETS];
		size_t n = function_targets(k, functions[f], t);
		for (size_t a = 0; a < n; a++) {
			uint64_t offset0, cpu, idle;
			if (!kt_try_read_u64(k, t[a], &offset0) || !offset0)
				continue;
			for (size_t b = 0; b < n; b++) {
				uint64_t rq = t[b] + offset0;
				if (b == a || !kt_try_member(k, rq, "struct rq", "cpu", &cpu) || cpu != 0 ||
				    !kt_try_member(k, rq, "struct rq", "idle", &idle) || !is_swapper(k, idle))
					continue;
				d->per_cpu_offset = t[a];
				d->runqueues = t[b];
				d->init_task = idle;
				return;
			}
		}
	}
}

/* A list_head whose first entry points back to it, entries outside the image. */
static bool is_module_list(struct kt_kernel *k, uint64_t head, bool *empty)
{
	uint64_t next, prev, back;
	if (!kt_try_read_u64(k, head, &next) || !kt_try_read_u64(k, head + 8, &prev))
		return false;
	*empty = next == head && prev == head;
	if (*empty)
		return true;
	return kt_kernel_is_kernel_address(k, next) && !kt_arm64_in_image(k, next) &&
	       kt_try_read_u64(k, next + 8, &back) && back == head;
}

static void recover_modules(struct kt_kernel *k, struct kt_arm64_data_symbols *d)
{
	uint64_t t[MAX_TARGETS], empty_head = 0;
	size_t n = function_targets(k, "print_modules", t);
	for (size_t i = 0; i < n; i++) {
		bool empty;
		if (!kt_arm64_in_image(k, t[i]) || !is_module_list(k, t[i], &empty))
			continue;
		if (!empty) {
			d->modules = t[i];
			return;
		}
		if (!empty_head)
			empty_head = t[i];
	}
	d->modules = empty_head;
}

/* test_taint(flag) is test_bit(flag, &tainted_mask): its one global. */
static void recover_taint(struct kt_kernel *k, struct kt_arm64_data_symbols *d)
{
	uint64_t t[MAX_TARGETS], mask;
	size_t n = function_targets(k, "test_taint", t);
	/* Through an anchor the last address formed is the variable. */
	for (size_t i = n; i-- > 0;) {
		if (kt_arm64_in_image(k, t[i]) && kt_try_read_u64(k, t[i], &mask) && mask < (1ull << 24)) {
			d->tainted_mask = t[i];
			return;
		}
	}
}

static bool read_u32(struct kt_kernel *k, uint64_t address, uint32_t *value)
{
	struct kt_error *err = kt_kernel_read_u32(k, address, value);
	kt_error_free(err);
	return !err;
}

/*
 * cpu_number, a per-CPU variable, holds n in CPU n's copy; a plain
 * global read through the per-CPU offsets does not.
 */
static bool is_cpu_number(struct kt_kernel *k, uint64_t address, unsigned nr_cpus)
{
	const uint64_t *offsets = k->per_cpu_offset;
	for (unsigned cpu = 0; offsets && cpu < nr_cpus; cpu++) {
		uint32_t value;
		if (!read_u32(k, address + offsets[cpu], &value) || value != cpu)
			return false;
	}
	return nr_cpus > 1 && offsets;
}

/*
 * nmi_panic() claims panic_cpu with a compare-and-exchange, after reading
 * its own cpu_number: panic_cpu is the global holding -1 or a CPU.
 */
static void recover_panic_cpu(struct kt_kernel *k, struct kt_arm64_data_symbols *d)
{
	uint64_t t[MAX_TARGETS];
	unsigned nr_cpus = kt_kernel_nr_cpus(k);
	size_t n = function_targets(k, "nmi_panic", t);
	for (size_t i = 0; i < n; i++) {
		uint32_t value;
		if (!kt_arm64_in_image(k, t[i]) || (t[i] & 3) || !read_u32(k, t[i], &value) ||
		    (value != UINT32_MAX && value >= nr_cpus) || is_cpu_number(k, t[i], nr_cpus))
			continue;
		d->panic_cpu = t[i];
		return;
	}
}

/* A lock's wait list (a list_head member): its first entry points back. */
static bool wait_list_consistent(struct kt_kernel *k, uint64_t lock, const char *type,
				 const char *list)
{
	uint64_t offset, next, back;
	struct kt_error *err = kt_type_offsetof(k, type, list, &offset);
	kt_error_free(err);
	return !err && kt_try_read_u64(k, lock + offset, &next) && kt_kernel_is_kernel_address(k, next) &&
	       kt_try_read_u64(k, next + 8, &back) && back == lock + offset;
}

/* A percpu_rw_semaphore: read_count points into the image's per-CPU template. */
static bool is_percpu_rwsem(struct kt_kernel *k, uint64_t lock)
{
	static const char *const type = "struct percpu_rw_semaphore";
	uint64_t read_count;
	return kt_try_member(k, lock, type, "read_count", &read_count) &&
	       kt_arm64_in_image(k, read_count) &&
	       wait_list_consistent(k, lock, type, "waiters.head");
}

/*
 * The two locks of the cgroup inversion, which analyze names: cgroup_path_ns()
 * takes cgroup_mutex (its only mutex; the other global is css_set_lock, a
 * spinlock), cgroup_attach_lock() cgroup_threadgroup_rwsem.
 */
static void recover_cgroup_locks(struct kt_kernel *k, struct kt_arm64_data_symbols *d)
{
	uint64_t t[MAX_TARGETS];
	size_t n = function_targets(k, "cgroup_path_ns", t);
	for (size_t i = 0; i < n && !d->cgroup_mutex; i++)
		if (kt_arm64_in_image(k, t[i]) && !(t[i] & 7) &&
		    wait_list_consistent(k, t[i], "struct mutex", "wait_list"))
			d->cgroup_mutex = t[i];
	n = function_targets(k, "cgroup_attach_lock", t);
	for (size_t i = 0; i < n && !d->cgroup_threadgroup_rwsem; i++)
		if (kt_arm64_in_image(k, t[i]) && !(t[i] & 7) && is_percpu_rwsem(k, t[i]))
			d->cgroup_threadgroup_rwsem = t[i];
}

/* struct btf_header (include/uapi/linux/btf.h), little-endian. */
struct btf_header {
	uint16_t magic;
	uint8_t version, flags;
	uint32_t hdr_len, type_off, type_len, str_off, str_len;
};

#define BTF_MAGIC 0xeb9f
#define MAX_BTF_SIZE (64u << 20)

static bool btf_at(struct kt_kernel *k, uint64_t address, uint64_t image_end,
		   uint64_t *size)
{
	struct btf_header h;
	struct kt_error *err = kt_kernel_read(k, address, &h, sizeof(h));
	kt_error_free(err);
	if (err || h.magic != BTF_MAGIC || h.version != 1 || h.hdr_len != sizeof(h) ||
	    h.type_off != 0 || h.str_off != h.type_len || !h.str_len ||
	    (uint64_t)h.str_off + h.str_len > MAX_BTF_SIZE)
		return false;
	*size = h.hdr_len + (uint64_t)h.str_off + h.str_len;
	char first;
	err = kt_kernel_read(k, address + h.hdr_len + h.str_off, &first, 1);
	kt_error_free(err);
	/* The string section starts with the empty string. */
	return !err && first == '\0' && address + *size <= image_end;
}

/* The .BTF section, by its header: it lies after the text, in rodata. */
static void recover_btf(struct kt_kernel *k, struct kt_arm64_data_symbols *d)
{
	uint64_t start, end, size;
	kt_arm64_image(k, &start, &end);
	uint64_t etext;
	struct kt_error *err = kt_symbol_address(k, "_etext", &etext);
	if (!err && etext > start && etext < end)
		start = etext;
	kt_error_free(err);
	uint32_t page[4096 / 4];
	for (uint64_t at = start & ~4095ull; at < end; at += sizeof(page)) {
		err = kt_kernel_read(k, at, page, sizeof(page));
		if (err) {
			kt_error_free(err);
			continue;
		}
		for (size_t i = 0; i < sizeof(page) / 4; i++) {
			if ((page[i] & 0xffffffu) != (BTF_MAGIC | 1u << 16) ||
			    !btf_at(k, at + i * 4, end, &size))
				continue;
			d->btf_start = at + i * 4;
			d->btf_end = d->btf_start + size;
			return;
		}
	}
}

static bool lookup(struct kt_kernel *k, struct kt_arm64_data_symbols *d,
		   const char *name, uint64_t *address)
{
	struct { const char *name; uint64_t *value; bool *tried;
		 void (*recover)(struct kt_kernel *, struct kt_arm64_data_symbols *); } table[] = {
		{ "__start_BTF", &d->btf_start, &d->btf_tried, recover_btf },
		{ "__stop_BTF", &d->btf_end, &d->btf_tried, recover_btf },
		{ "__per_cpu_offset", &d->per_cpu_offset, &d->per_cpu_tried, recover_per_cpu },
		{ "runqueues", &d->runqueues, &d->per_cpu_tried, recover_per_cpu },
		{ "init_task", &d->init_task, &d->per_cpu_tried, recover_per_cpu },
		{ "modules", &d->modules, &d->modules_tried, recover_modules },
		{ "tainted_mask", &d->tainted_mask, &d->taint_tried, recover_taint },
		{ "panic_cpu", &d->panic_cpu, &d->panic_tried, recover_panic_cpu },
		{ "cgroup_mutex", &d->cgroup_mutex, &d->cgroup_tried, recover_cgroup_locks },
		{ "cgroup_threadgroup_rwsem", &d->cgroup_threadgroup_rwsem, &d->cgroup_tried,
		  recover_cgroup_locks },
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (strcmp(name, table[i].name) != 0)
			continue;
		if (!*table[i].tried) {
			*table[i].tried = true; /* before: a recovery may ask for others */
			table[i].recover(k, d);
		}
		*address = *table[i].value;
		return *address != 0;
	}
	return false;
}

bool kt_arm64_recover_symbol(struct kt_kernel *k, const char *name, uint64_t *address)
{
	return lookup(k, kt_arm64_data_symbols(k), name, address);
}

/* The recovered symbols, for naming an address (a lock) back: exact matches only. */
static const char *const recovered[] = {
	"init_task", "runqueues", "modules", "tainted_mask", "panic_cpu",
	"cgroup_mutex", "cgroup_threadgroup_rwsem",
};

bool kt_arm64_recovered_symbol_at(struct kt_kernel *k, uint64_t address,
				  struct kt_symbol *symbol)
{
	for (size_t i = 0; i < sizeof(recovered) / sizeof(recovered[0]); i++) {
		uint64_t at;
		if (!kt_arm64_recover_symbol(k, recovered[i], &at) || at != address)
			continue;
		*symbol = (struct kt_symbol){ .name = recovered[i], .address = at, .type = 'D' };
		return true;
	}
	return false;
}
