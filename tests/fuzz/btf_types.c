// SPDX-License-Identifier: MIT
/*
 * Kernel-like types for the BTF harness's seed: tests/fuzz/make-seeds
 * compiles this with clang -target bpf -g and takes its .BTF section.
 * The shapes are the ones the kernel model looks up: nested and anonymous
 * members, bitfields, typedef chains, enums (signed, 64-bit), arrays,
 * pointers to incomplete types, a const/volatile chain.
 */
typedef unsigned char u8;
typedef unsigned int u32;
typedef long long s64;
typedef unsigned long long u64;

typedef struct { long counter; } atomic_long_t;
typedef struct { int counter; } atomic_t;

struct list_head {
	struct list_head *next, *prev;
};

struct task_struct;

struct mutex {
	atomic_long_t owner;
	u32 wait_lock;
	struct list_head wait_list;
};

struct thread_struct {
	unsigned long sp;
	unsigned short es, ds;
};

struct sched_entity {
	u64 exec_start;
	u64 sum_exec_runtime;
};

enum task_comm {
	TASK_COMM_LEN = 16,
};

enum sign { NEGATIVE = -1, ZERO = 0 };
enum big64 { BIG = 0x1ffffffffULL };

struct task_struct {
	unsigned int __state;
	void *stack;
	union {
		struct {
			int pid;
			int tgid;
		};
		u64 ids;
	};
	unsigned int in_execve : 1;
	unsigned int in_iowait : 1;
	unsigned int flags : 30;
	struct sched_entity se;
	struct list_head tasks;
	struct task_struct *parent;
	char comm[TASK_COMM_LEN];
	const volatile struct thread_struct thread;
	enum sign sign;
	enum big64 big;
};

struct rq {
	u64 clock;
	struct task_struct *curr;
	atomic_t nr_iowait;
};

struct module {
	int state;
	struct list_head list;
	char name[56];
};

struct printk_ringbuffer {
	struct { u32 count_bits; void *descs; } desc_ring;
	struct { u32 size_bits; char *data; } text_data_ring;
	atomic_long_t fail;
};

/* clang keeps the types a program uses: use them all. */
struct task_struct seed_task;
struct rq seed_rq;
struct module seed_module;
struct mutex seed_mutex;
struct printk_ringbuffer seed_prb;
