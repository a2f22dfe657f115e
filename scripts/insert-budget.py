#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The insertion's instruction budget (Documentation/performance.rst).

  scripts/insert-budget.py NTDPC_KO [VMLINUX KALLSYMS]

Walks KeInsertQueueDpc() in ntdpc.ko (objdump -dlr) along the path of the
benchmark's insert row: an untargeted Medium DPC queued on an idle queue of
the current CPU with bottom halves off and no timing or tracing.  Every
instruction on that path is attributed to the NT rule it serves, by the
inline function and source line objdump names for it.  With the kernel's
image (scripts/extract-vmlinux) and its /proc/kallsyms from a guest booted
with nokaslr, the kernel's __tasklet_hi_schedule() and what it calls are
walked too: what tasklet_hi_schedule() costs, which the insertion contains
as its kick.  Static counts of one path, not a profile: every instruction
counts one.
"""
import re
import subprocess
import sys

# Conditional jumps that the insert row's path takes: (inline function,
# source line, opcode, what the instruction before it starts with or None).
# The rest fall through.
# A source line is named by its text in src/queue.c, resolved to its number.
def queue_line(text, after=None):
    src = open(__file__.rsplit("/", 2)[0] + "/src/queue.c").read().splitlines()
    start = 0
    if after:
        start = next((n for n, line in enumerate(src) if line.strip().startswith(after)), None)
        if start is None:
            raise SystemExit("insert-budget: no line '%s' in src/queue.c" % after)
    for n in range(start, len(src)):
        if src[n].strip() == text:
            return "queue.c:%d" % (n + 1)
    raise SystemExit("insert-budget: no line '%s' in src/queue.c" % text)


def in_fn(fn, text):
    """The source line of @text inside function @fn of src/queue.c."""
    return queue_line(text, fn)


TAKEN = [
    ("ntdpc_dpc_valid", None, "je", "cmp    $0x13"),	# Type == DpcObject
    # At DISPATCH_LEVEL already (bottom halves off): not the passive path.
    ("__ntdpc_enqueue", in_fn("static __always_inline bool __ntdpc_enqueue",
                              "if (!in_interrupt() && !irqs_disabled())"), "jne", None),
    # Untargeted: the current CPU's queue.
    ("ntdpc_insert", in_fn("static __always_inline unsigned int ntdpc_insert",
                           "local = cpu < 0 || cpu == smp_processor_id();"), "je",
     "cmp    $0xffffffff"),
    ("ntdpc_want_request", queue_line("if (importance == MediumImportance)"), "je", None),
    ("ntdpc_drain_idle", None, "je", None),		# no drain running
    ("tasklet_hi_schedule", None, "jae", None),		# the tasklet was not scheduled
]

# What each instruction serves: (inline function, source lines or None,
# instruction pattern or None, rule); first match wins.  The function and
# lines are objdump's; a preempt_count() read counts for the check after it.
LOCK = "lock (irqs off, queue lock)"
REQUEST = "request rules (NT's KiInsertQueueDpc)"
RULES = [
    ("KeInsertQueueDpc", None,
     r"^(push|pop|sub +\$0x[0-9a-f]+,%rsp|add +\$0x[0-9a-f]+,%rsp|call.*KeInsertQueueDpc\+0x5>|"
     r"jmp .*__x86_return_thunk)",
     "function frame: register saves, ftrace"),
    ("KeInsertQueueDpc|ntdpc_dpc_valid", None, None, "NMI, KDPC and target checks"),
    ("__ntdpc_enqueue", None, None, "IRQL: PASSIVE_LEVEL or not"),
    ("ntdpc_quiescing", None, None, "unload guard"),
    ("ntdpc_insert", [in_fn("static __always_inline unsigned int ntdpc_insert",
                            "if (ntdpc_quiescing() &&")], None, "unload guard"),
    ("arch_local_save_flags|arch_local_irq_.*|__preempt_count_.*|arch_atomic_try_cmpxchg|"
     "pv_queued_spin_.*|queued_spin_.*|ntdpc_queue_(un)?lock.*", None, None, LOCK),
    # Its restores are arch_local_irq_restore's to objdump.
    ("ntdpc_insert", [in_fn("static __always_inline unsigned int ntdpc_insert",
                            "local_irq_save(flags);")], None, LOCK),
    ("tasklet_hi_schedule|arch_test_and_set_bit|ntdpc_bh_kick.*", None, None,
     "kick (tasklet_hi_schedule)"),
    ("arch_static_branch|ntdpc_stamp|trace_ntdpc.*|ktime_get.*", None, None,
     "statistics, timing, tracing"),
    ("ntdpc_list_insert", [queue_line("if (unlikely(cmpxchg(&dpc->DpcData, NULL, (PVOID)l)))")],
     None, "claim (DpcData cmpxchg)"),
    ("ntdpc_list_insert", [queue_line("bool head = importance == HighImportance;"),
                           in_fn("static __always_inline bool ntdpc_list_insert", "if (head)")],
     None, "importance (head or tail)"),
    ("ntdpc_list_insert|ntdpc_list_link|ntdpc_dpc_entry", None, None,
     "queue link, arguments, depth"),
    ("ntdpc_update_rate|ntdpc_request|ntdpc_want_request|ntdpc_drain_idle|ntdpc_claim_drain|"
     "ntdpc_arm_deliver|hrtimer.*|jiffies.*", None, None, REQUEST),
    ("ntdpc_insert|smp_processor_id|this_cpu.*|per_cpu.*", None, None,
     "CPU choice, DPC type, result"),
]


def disassemble(args):
    out = subprocess.run(["objdump"] + args, check=True, capture_output=True,
                         text=True).stdout
    return out.splitlines()


def parse(lines, start_sym=None):
    """Instructions as dicts: addr, fn, loc, text, reloc."""
    insns, fn, loc, inside = [], "?", "?", start_sym is None
    for line in lines:
        m = re.match(r"^([0-9a-f]+) <(.+)>:$", line)
        if m:
            inside = start_sym is None or m.group(2) == start_sym
            continue
        if not inside:
            continue
        m = re.match(r"^([A-Za-z_0-9.]+)\(\):$", line)
        if m:
            fn = m.group(1)
            continue
        if line.startswith("/"):
            loc = line.rsplit("/", 1)[1].split(" ")[0]
            continue
        m = re.match(r"^\s+[0-9a-f]+: (R_X86_64_\S+)\s+(\S+)", line)
        if m:
            if insns:
                insns[-1]["reloc"] = m.group(2)
            continue
        m = re.match(r"^\s*([0-9a-f]+):\s+(.*)$", line)
        if m:
            insns.append({"addr": int(m.group(1), 16), "fn": fn, "loc": loc,
                          "text": m.group(2).strip(), "reloc": None})
    return insns


# The warm insert (the depth rows): a drain is already asked for, so the
# rules are skipped and nothing is kicked.
TAKEN_WARM = TAKEN + [
    ("ntdpc_drain_idle", None, "jne", None),		# the drain is asked for
    ("ntdpc_insert", in_fn("static __always_inline unsigned int ntdpc_insert",
                           "if (kick) {"), "je", None),
]


def taken_on(taken):
    return lambda i, prev: taken_on_row(taken, i, prev)


def taken_on_row(taken, i, prev):
    op = i["text"].split()[0]
    for fn, loc, o, before in taken:
        if i["fn"] == fn and op == o and (loc is None or i["loc"] == loc) and \
           (before is None or (prev and prev["text"].startswith(before))):
            return True
    return False


def walk(insns, taken=lambda i, prev: False):
    """The path from the first instruction: conditional jumps taken when
    taken(insn) says so, calls counted and stepped over."""
    by_addr = {i["addr"]: n for n, i in enumerate(insns)}
    path, n, seen = [], 0, 0
    while n < len(insns) and seen < 2000:
        i = insns[n]
        seen += 1
        path.append(i)
        op = i["text"].split()[0]
        m = re.search(r"\b(?:0x)?([0-9a-f]+)(?: <|$)", i["text"]) if op.startswith(("j", "call")) else None
        target = int(m.group(1), 16) if m else None
        if op.startswith("ret") or (op == "jmp" and "return_thunk" in (i["reloc"] or "")):
            break
        if op == "jmp":
            # A tail call or the return thunk: the path leaves the function.
            if i["reloc"] or target not in by_addr:
                break
            n = by_addr[target]
            continue
        if op.startswith("j") and op != "jmp" and target in by_addr and \
           taken(i, path[-2] if len(path) > 1 else None):
            n = by_addr[target]
            continue
        n += 1
    return path


def attribute(path):
    counts = {}
    for n, i in enumerate(path):
        # A preempt_count() read serves the check that follows it.
        j = path[n + 1] if i["fn"] == "preempt_count" and n + 1 < len(path) else i
        rule = "other"
        for fn, locs, pat, name in RULES:
            if re.fullmatch(fn, j["fn"]) and (locs is None or j["loc"] in locs) and \
               (pat is None or re.search(pat, "%s %s" % (j["text"], j["reloc"] or ""))):
                rule = name
                break
        i["rule"] = rule
        counts[rule] = counts.get(rule, 0) + 1
    return counts


def main():
    ko = sys.argv[1]
    insns = parse(disassemble(["-dlr", "--no-show-raw-insn", ko]), "KeInsertQueueDpc")
    for what, taken in (("the insert row's path (idle queue)", TAKEN),
                        ("the warm insert's path (a drain asked for)", TAKEN_WARM)):
        p = walk(insns, taken_on(taken))
        counts = attribute(p)
        print("KeInsertQueueDpc(), %s: %d instructions" % (what, len(p)))
        for rule, c in sorted(counts.items(), key=lambda kv: -kv[1]):
            print("  %-42s %4d" % (rule, c))
        calls = [i for i in p if i["text"].startswith("call")]
        print("  calls on the path: %s" % ", ".join(
            (i["reloc"] or i["text"].split()[-1]) for i in calls))
        if "-v" in sys.argv:
            for i in p:
                print("    %-30s %-20s %-34s %s" % (i["fn"], i["loc"], i["rule"], i["text"]))
        if taken is TAKEN:
            path, row_counts = p, counts
    counts = row_counts
    if len(sys.argv) >= 4 and not sys.argv[2].startswith("-"):
        vmlinux, kallsyms = sys.argv[2], sys.argv[3]
        syms = []
        for line in open(kallsyms):
            f = line.split()
            if len(f) >= 3 and f[1] in "tTwW":
                syms.append((int(f[0], 16), f[2]))
        syms.sort()
        total = 0
        # raise_softirq_irqoff() is inline in __tasklet_schedule_common().
        for name in ("__tasklet_hi_schedule", "__tasklet_schedule_common"):
            for n, (a, s) in enumerate(syms):
                if s == name:
                    end = syms[n + 1][0]
                    lines = disassemble(["-d", "--no-show-raw-insn",
                                         "--start-address=0x%x" % a,
                                         "--stop-address=0x%x" % end, vmlinux])
                    fi = parse(lines)
                    # The path of a tasklet not yet scheduled, from task
                    # context with bottom halves off: no ksoftirqd wake-up.
                    p = walk(fi)
                    total += len(p)
                    print("%s (kernel): %d instructions on the straight path, %d in all"
                          % (name, len(p), len(fi)))
                    if "-v" in sys.argv:
                        for i in p:
                            print("    %s" % i["text"])
                    break
        kick = counts.get("kick (tasklet_hi_schedule)", 0)
        print("tasklet_hi_schedule(): %d inline (as in KeInsertQueueDpc) + %d in the kernel = %d"
              % (kick, total, kick + total))
        print("KeInsertQueueDpc() with its kick: %d + %d = %d instructions, %.2fx the tasklet's"
              % (len(path), total, len(path) + total, (len(path) + total) / (kick + total)))


if __name__ == "__main__":
    main()
