#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check ntdpc-latency's numbers against `trace-cmd report -t` text.

Usage: check_report.py REPORT.txt TOOL.json TOOL.svg TOOL.txt

REPORT.txt is the output of `trace-cmd report -t trace.dat`: everything the
tool claims is recomputed here from those lines alone, with no code shared
with the tool.  Prints one "PASS <what>" or "FAIL <what>: <why>" per check.
"""
import json
import re
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict

LINE = re.compile(r'^\s*(?P<comm>.*?)\s+\[(?P<cpu>\d+)\]\s+'
                  r'(?P<ts>\d+\.\d+):\s+(?P<event>[\w]+):\s*(?P<rest>.*)$')


def parse_fields(rest):
    """key=value pairs, and bare words (the " threaded" flag) as True."""
    out = {}
    for tok in rest.split():
        if '=' in tok:
            k, v = tok.split('=', 1)
            out[k] = v
        else:
            out[tok] = True
    return out


def threaded_of(f):
    v = f.get('threaded', False)
    if v is True:
        return True
    if v is False:
        return False
    return v not in ('0', 'false')


def base_name(name):
    """The kernel's %ps never prints an offset; the tool does when needed."""
    return re.sub(r'\+0x[0-9a-f]+$', '', name)


def ns(ts):
    sec, frac = ts.split('.')
    return int(sec) * 10**9 + int(frac.ljust(9, '0')[:9])


class Checks:
    def __init__(self):
        self.failed = 0

    def check(self, what, ok, why=''):
        if ok:
            print(f'PASS {what}')
        else:
            self.failed += 1
            print(f'FAIL {what}: {why}')

    def equal(self, what, got, want):
        self.check(what, got == want, f'tool says {got!r}, trace-cmd report gives {want!r}')


def main():
    report_txt, json_path, svg_path, text_path = sys.argv[1:5]
    c = Checks()

    entries, exits, irqs, wds, timers = [], [], [], [], []
    # irq_handler_entry and ntdpc_entry in the report's order, which is each
    # CPU's ring-buffer order: a CPU's events may share one timestamp (the
    # ring buffer gives a nested write its predecessor's), so a sort by time
    # could put a DPC before the interrupt that queued it.
    irq_order = []
    counts = defaultdict(int)
    first = last = None
    for line in open(report_txt, errors='replace'):
        m = LINE.match(line)
        if not m:
            continue
        t = ns(m['ts'])
        first = t if first is None else min(first, t)
        last = t if last is None else max(last, t)
        ev = m['event']
        counts[ev] += 1
        f = parse_fields(m['rest'])
        cpu = int(m['cpu'])
        if ev == 'ntdpc_entry':
            entries.append((t, cpu, f['routine'], threaded_of(f), int(f['latency_ns'])))
            irq_order.append((t, 0, cpu, None, None))
        elif ev == 'ntdpc_exit':
            exits.append((t, cpu, f['routine'], threaded_of(f), int(f['runtime_ns'])))
        elif ev == 'irq_handler_entry':
            irqs.append((t, cpu, int(f['irq']), f.get('name', '')))
            irq_order.append((t, 1, cpu, int(f['irq']), f.get('name', '')))
        elif ev == 'ntdpc_watchdog':
            cum = f.get('cumulative') in (True, '1')
            wds.append((int(f['runtime_ns']), int(f['limit_ns']),
                        'cumulative' if cum else 'single'))
        elif ev == 'ntdpc_timer_expire':
            timers.append(int(f['lateness_ns']))

    d = json.load(open(json_path))
    c.check('trace-cmd report has ntdpc_entry/ntdpc_exit lines', entries and exits,
            'nothing to compare against')

    # Totals.
    c.equal('ntdpc_entry count', d['events']['entry'], counts['ntdpc_entry'])
    c.equal('ntdpc_exit count', d['events']['exit'], counts['ntdpc_exit'])
    c.equal('ntdpc_queue count', d['events']['queue'], counts['ntdpc_queue'])
    c.equal('irq_handler_entry count', d['events']['irq_handler_entry'],
            counts['irq_handler_entry'])
    c.equal('records', d['records'], sum(counts.values()))
    c.equal('first timestamp', d['first_ts_ns'], first)
    c.equal('last timestamp', d['last_ts_ns'], last)

    # Per routine: the tool's rows folded the same way as the report's names.
    tool = defaultdict(lambda: {'count': 0, 'exits': 0, 'lat_n': 0, 'lat_max': None,
                                'run_max': None})
    for r in d['routines']:
        k = (base_name(r['routine']), r['threaded'])
        t = tool[k]
        t['count'] += r['count']
        t['exits'] += r['exits']
        if r['latency_ns']:
            t['lat_n'] += r['latency_ns']['n']
            t['lat_max'] = max(t['lat_max'] or 0, r['latency_ns']['max'])
        if r['runtime_ns']:
            t['run_max'] = max(t['run_max'] or 0, r['runtime_ns']['max'])
    want = defaultdict(lambda: {'count': 0, 'exits': 0, 'lat_n': 0, 'lat_max': None,
                                'run_max': None})
    for _, _, name, thr, lat in entries:
        w = want[(name, thr)]
        w['count'] += 1
        if lat:
            w['lat_n'] += 1
            w['lat_max'] = max(w['lat_max'] or 0, lat)
    for _, _, name, thr, run in exits:
        w = want[(name, thr)]
        w['exits'] += 1
        w['run_max'] = max(w['run_max'] or 0, run)

    # Where trace.dat has no symbol the report prints the address; the
    # tool may still have named it (e.g. "func+0x10"), so match by address.
    by_addr = {int(r['addr'], 16): base_name(r['routine']) for r in d['routines']}
    want = {(by_addr.get(int(name, 16), name) if name.startswith('0x') else name, thr): w
            for (name, thr), w in want.items()}

    c.equal('set of (routine, threaded) rows', sorted(tool), sorted(want))
    for k in sorted(want):
        label = f'{k[0]} ({"threaded" if k[1] else "ordinary"})'
        t, w = tool.get(k), want[k]
        if t is None:
            c.check(f'{label}: present', False, 'missing from the tool output')
            continue
        c.equal(f'{label}: count', t['count'], w['count'])
        c.equal(f'{label}: exits', t['exits'], w['exits'])
        c.equal(f'{label}: latency samples', t['lat_n'], w['lat_n'])
        c.equal(f'{label}: max latency', t['lat_max'], w['lat_max'])
        c.equal(f'{label}: max runtime', t['run_max'], w['run_max'])

    # Highest execution time and highest latency.
    if exits:
        top = max(e[4] for e in exits)
        names = {e[2] for e in exits if e[4] == top}
        he = d['highest_execution']
        c.equal('highest execution time', he and he['runtime_ns'], top)
        got = he and base_name(he['routine'])
        c.check('highest execution routine',
                got in names or (he and f'0x{int(he["addr"], 16):x}' in names),
                f'tool says {got!r}, report has {sorted(names)}')
        text = open(text_path, errors='replace').read()
        m = re.search(r'^Highest DPC execution time:\s+([\d.]+) us\s+(\S+) \[([^\]]*)\]',
                      text, re.M)
        c.check('text report names the highest execution time',
                m and abs(float(m[1]) - top / 1000) < 0.06 and
                he and m[2] == he['routine'] and m[3] == he['module'],
                f'text line {m and m[0]!r}')
    lats = [e[4] for e in entries if e[4]]
    if lats:
        hl = d['highest_latency']
        c.equal('highest queue-to-start latency', hl and hl['latency_ns'], max(lats))

    # Per-CPU time in ordinary DPCs and its share of the trace.
    per_cpu = defaultdict(int)
    for _, cpu, _, thr, run in exits:
        if not thr:
            per_cpu[cpu] += run
    got = {x['cpu']: x['dpc_time_ns'] for x in d['cpus'] if x['dpc_time_ns']}
    c.equal('per-CPU ordinary DPC time', got, dict(per_cpu))
    dur = last - first
    shares_ok = all(abs(x['share_pct'] - 100.0 * per_cpu.get(x['cpu'], 0) / dur) < 1e-3
                    for x in d['cpus']) if dur else True
    c.check('per-CPU share of time in DPCs', shares_ok, json.dumps(d['cpus']))

    # Histograms hold every sample once.
    c.equal('latency histogram total', sum(b['count'] for b in d['histograms']['latency_ns']),
            len(lats))
    c.equal('runtime histogram total', sum(b['count'] for b in d['histograms']['runtime_ns']),
            len(exits))

    # Interrupt-to-DPC: each irq waits for the next ntdpc_entry on its CPU.
    if irqs:
        events = irq_order
        pending = defaultdict(list)
        delays = defaultdict(list)
        for t, kind, cpu, irq, name in events:
            if kind == 1:
                pending[cpu].append((t, irq, name))
            else:
                for t0, irq0, name0 in pending[cpu]:
                    delays[(irq0, name0)].append(t - t0)
                pending[cpu] = []
        got = {(x['irq'], x['name']): (x['count'], x['delay_ns'] and x['delay_ns']['max'])
               for x in d['irq_to_dpc']}
        exp = {}
        for t, cpu, irq, name in irqs:
            v = delays.get((irq, name), [])
            exp[(irq, name)] = (len(v), max(v) if v else None)
        c.equal('interrupt-to-DPC count and max per irq', got, exp)
    else:
        c.equal('no irq_to_dpc rows without irq events', d['irq_to_dpc'], [])

    # Watchdog and timers.
    c.equal('watchdog reports', sorted((w['runtime_ns'], w['limit_ns'], w['kind'])
                                       for w in d['watchdog']), sorted(wds))
    if timers:
        c.equal('timer lateness max', d['timers'] and d['timers']['max_lateness_ns'],
                max(timers))
    else:
        c.equal('no timer summary without timer events', d['timers'], None)

    # SVG: well formed, one block per routine, each named after its routine.
    try:
        root = ET.parse(svg_path).getroot()
        c.check('SVG is well-formed XML with an <svg> root',
                root.tag == '{http://www.w3.org/2000/svg}svg', root.tag)
        blocks = [g for g in root.iter('{http://www.w3.org/2000/svg}g')
                  if g.get('class') == 'routine']
        c.equal('SVG routine blocks', len(blocks), len(d['routines']))
        c.equal('SVG blocks name the routines',
                sorted((g.get('data-routine'), g.get('data-kind')) for g in blocks),
                sorted((r['symbol'], 'threaded' if r['threaded'] else 'ordinary')
                       for r in d['routines']))
    except ET.ParseError as e:
        c.check('SVG is well-formed XML', False, str(e))

    return 1 if c.failed else 0


if __name__ == '__main__':
    sys.exit(main())
