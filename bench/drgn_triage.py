# SPDX-License-Identifier: MIT
"""The triage a drgn user scripts by hand, for bench/run:

  drgn -q -c DUMP -s VMLINUX bench/drgn_triage.py DUMP

the kernel log, every task (pid, parent, CPU, state, command, as ps), the stack
of every task in D state, and the stack of the task running on each CPU, panic
CPU first.  This is the work ../shared/vmlab/refs.sh timed for refs-timing.json
("ps, D-state + panic stacks, dmesg, meta"), without writing reference files:
everything goes to stdout, which bench/run discards.

Running tasks are unwound from the CPU's NT_PRSTATUS registers, read with
libkdumpfile as refs.sh does: drgn 0.0.22 matches a note to a task by pr_pid,
which QEMU sets to the CPU index + 1, and would unwind from stale thread.sp.
"""
import sys

from drgn import FaultError, Object
from drgn.helpers.linux.cpumask import for_each_present_cpu
from drgn.helpers.linux.percpu import per_cpu
from drgn.helpers.linux.pid import for_each_task
from drgn.helpers.linux.printk import get_dmesg
from drgn.helpers.linux.sched import idle_task, task_cpu, task_state_to_char

prog = globals()["prog"]
out = sys.stdout
PTREGS = {"r15": "r15", "r14": "r14", "r13": "r13", "r12": "r12", "rbp": "bp", "rbx": "bx",
          "r11": "r11", "r10": "r10", "r9": "r9", "r8": "r8", "rax": "ax", "rcx": "cx",
          "rdx": "dx", "rsi": "si", "rdi": "di", "orig_rax": "orig_ax", "rip": "ip",
          "cs": "cs", "rflags": "flags", "rsp": "sp", "ss": "ss"}


def comm(task):
    return task.comm.string_().decode(errors="replace")


def ps_row(task):
    try:
        ppid = task.real_parent.pid.value_()
    except FaultError:
        ppid = -1
    return "%d %d %d %s %s" % (task.pid.value_(), ppid, task_cpu(task),
                               task_state_to_char(task), comm(task))


def print_trace(trace):
    for i, frame in enumerate(trace):
        try:
            sym = frame.symbol()
            where = "%s+%#x" % (sym.name, frame.pc - sym.address)
        except LookupError:
            where = frame.name or "?"
        out.write("#%d %s pc=%#x\n" % (i, where, frame.pc))


def cpu_registers(dump):
    """{cpu: {register: value}} from the dump's NT_PRSTATUS notes."""
    try:
        import kdumpfile
    except ImportError:
        return {}
    kd = kdumpfile.kdumpfile(dump)
    kd.attr["addrxlat.ostype"] = "linux"
    return {int(c): dict(node["reg"].items())
            for c, node in kd.attr["cpu"].items() if c.isdigit()}


def trace_from_registers(regs):
    ptregs = prog.type("struct pt_regs")
    fields = {m.name for m in ptregs.members}
    value = {f: regs[r] for r, f in PTREGS.items() if r in regs and f in fields}
    return prog.stack_trace(Object(prog, ptregs, value=value))


out.buffer.write(get_dmesg(prog))
present = list(for_each_present_cpu(prog))
for cpu in present:
    out.write(ps_row(idle_task(prog, cpu)) + "\n")
tasks = sorted(for_each_task(prog), key=lambda t: t.pid.value_())
for task in tasks:
    out.write(ps_row(task) + "\n")
for task in tasks:
    if task_state_to_char(task) == "D":
        out.write("\n%d %s\n" % (task.pid.value_(), comm(task)))
        print_trace(prog.stack_trace(task))
try:
    panic_cpu = prog["panic_cpu"].counter.value_()
except (KeyError, AttributeError):
    panic_cpu = -1
regs = cpu_registers(sys.argv[1]) if len(sys.argv) > 1 else {}
for cpu in sorted(present, key=lambda c: (c != panic_cpu, c)):
    task = per_cpu(prog["runqueues"], cpu).curr
    out.write("\n%d %s (cpu %d%s)\n" % (task.pid.value_(), comm(task), cpu,
                                        ", panic" if cpu == panic_cpu else ""))
    try:
        print_trace(trace_from_registers(regs[cpu]) if cpu in regs else prog.stack_trace(task))
    except Exception as e:  # a running task's stack may not unwind; drgn says why
        out.write("error: %s: %s\n" % (type(e).__name__, e))
