#!/usr/bin/env python3
"""Turns one run of scripts/bench.sh (raw.jsonl + env.json) into the console table and
results/perf/README.md, and appends the run's headline figures to results/perf/history.jsonl
so the README can show earlier runs (before and after an optimisation) beside this one."""
import argparse
import json
import os
import statistics

# The targets: (key, description, required ratio or limit, "min" = at least, "max" = at most).
TARGETS = [
    ("sr/iperf3", "sr (MSS 1200) ÷ iperf3 UDP received rate", 1.0, "min"),
    ("sw/atftp-ws1", "sw ÷ atftp windowsize 1", 1.5, "min"),
    ("sr-w64/atftp-ws64", "sr --window 64 ÷ atftp windowsize 64", 2.0, "min"),
    ("sr-proxy/sr", "sr through lossproxy ÷ sr direct", 0.6, "min"),
    # Issue 13: the default (congestion-controlled, paced) sender against kernel TCP, both with
    # the same file handling.
    ("sr/tcp", "sr (default sender, congestion-controlled) ÷ kernel TCP", 0.9, "min"),
    ("rss-receiver", "receiver peak RSS, {rss} file (MiB)", 64.0, "max"),
    ("rss-sender", "sender peak RSS, {rss} file (MiB)", 64.0, "max"),
    ("sim", "simulator, simulated packets/s", 1_000_000.0, "min"),
]

# Measured transfers in table order: (name in raw.jsonl, label, what it is).
ROWS = [
    ("iperf3", "iperf3 UDP, received", "iperf3 -u -b 0 -l 1200 (unreliable blast)"),
    ("iperf3-tcp", "iperf3 TCP", "iperf3 over TCP, no file handling (reference only)"),
    ("tcp", "kernel TCP", "rudp-send --protocol tcp (same file handling as ours)"),
    ("atftp-ws1", "atftp windowsize 1", "atftp blksize 1200, windowsize 1"),
    ("atftp-ws64", "atftp windowsize 64", "atftp blksize 1200, windowsize 64"),
    ("sw", "sw", "rudp-send --protocol sw"),
    ("gbn", "gbn", "rudp-send --protocol gbn (default window)"),
    ("sr", "sr", "rudp-send --protocol sr (default window)"),
    ("sr-w64", "sr --window 64", "rudp-send --protocol sr --window 64"),
    ("sr-proxy", "sr through lossproxy", "sr via lossproxy with no impairment"),
]
OURS = ["sw", "gbn", "sr", "sr-w64", "sr-proxy"]
BASELINES = [("iperf3", "÷ iperf3 UDP"), ("tcp", "÷ TCP"), ("atftp-ws1", "÷ atftp ws1"), ("atftp-ws64", "÷ atftp ws64")]


def load(path):
    with open(path) as file:
        return [json.loads(line) for line in file if line.strip()]


def median(values):
    values = [value for value in values if value is not None]
    return statistics.median(values) if values else None


def mib(kilobytes):
    return None if kilobytes is None else kilobytes / 1024


def fmt(value, decimals=1, thousands=True):
    if value is None:
        return "not measured"
    return f"{value:,.{decimals}f}" if thousands else f"{value:.{decimals}f}"


class Run:
    """The figures of one benchmark run, by measurement name."""

    def __init__(self, records, env):
        self.env = env
        self.records = records
        self.by_name = {}
        for record in records:
            self.by_name.setdefault(record["name"], []).append(record)

    def ok(self, name):
        return [record for record in self.by_name.get(name, []) if record.get("ok")]

    def failures(self, name):
        return [record for record in self.by_name.get(name, []) if not record.get("ok")]

    def goodput(self, name):
        return median([record.get("mbps") for record in self.ok(name)])

    def rss(self, name, side):
        values = [record.get(f"{side}_rss_kb") for record in self.ok(name)]
        values = [value for value in values if isinstance(value, (int, float))]
        return mib(max(values)) if values else None

    def ratio(self, numerator, denominator):
        top, bottom = self.goodput(numerator), self.goodput(denominator)
        return top / bottom if top is not None and bottom else None

    def sim_rate(self, name="sim"):
        return median([record.get("packets_per_second") for record in self.ok(name)])

    def callgrind(self):
        records = self.ok("callgrind")
        return records[0]["result"] if records else None

    def target_values(self):
        """key → (measured, baseline or None, ratio-or-value compared with the requirement)."""
        values = {}
        for key, _, _, _ in TARGETS:
            if "/" in key:
                numerator, denominator = key.split("/")
                values[key] = (self.goodput(numerator), self.goodput(denominator), self.ratio(numerator, denominator))
        receiver, sender = self.rss("sr-rss", "receiver"), self.rss("sr-rss", "sender")
        values["rss-receiver"] = (receiver, None, receiver)
        values["rss-sender"] = (sender, None, sender)
        values["sim"] = (self.sim_rate(), None, self.sim_rate())
        return values

    def notes(self, name):
        """A short note per measurement: loss for iperf3, retransmissions for ours, failures."""
        parts = []
        records = self.ok(name)
        if name == "iperf3" and records:
            parts.append(f"sent {fmt(median([r.get('sent_mbps') for r in records]))} Mbit/s, "
                         f"lost {fmt(median([r.get('lost_percent') for r in records]), 2)}%")
        senders = [record.get("sender") or {} for record in records]
        if name in OURS and senders:
            retransmissions = [s.get("retransmissions") for s in senders]
            timeouts = [s.get("timeouts") for s in senders]
            parts.append(f"retransmissions {', '.join(str(x) for x in retransmissions)}; "
                         f"timeouts {', '.join(str(x) for x in timeouts)}")
        if name == "sr-proxy":
            dropped = []
            for record in records:
                proxy = record.get("proxy") or {}
                forward = proxy.get("forward") or {}
                if "dropped" in forward:
                    dropped.append(forward["dropped"])
            if dropped:
                parts.append(f"relay dropped {', '.join(str(x) for x in dropped)} forward")
        failed = self.failures(name)
        if failed:
            parts.append(f"{len(failed)} run(s) failed: {failed[0].get('error', '')[:160]}")
        return "; ".join(parts)

    def all_goodputs(self, name):
        return ", ".join(fmt(record.get("mbps")) for record in self.ok(name)) or "-"


def target_rows(run):
    rss_size = run.env.get("rss_size", "256MiB")
    values = run.target_values()
    rows = []
    for key, description, required, sense in TARGETS:
        measured, baseline, compared = values[key]
        if compared is None:
            verdict = "not measured"
        elif sense == "min":
            verdict = "met" if compared >= required else "missed"
        else:
            verdict = "met" if compared <= required else "missed"
        if key == "sim":
            measured_text, baseline_text, compared_text = fmt(measured, 0), "", fmt(compared, 0)
            required_text = f"≥ {required:,.0f}"
        elif key.startswith("rss"):
            measured_text, baseline_text, compared_text = fmt(measured), "", fmt(compared)
            required_text = f"≤ {required:.0f} MiB"
        else:
            measured_text, baseline_text, compared_text = fmt(measured), fmt(baseline), fmt(compared, 2)
            required_text = f"≥ {required:.1f}×"
        rows.append((description.format(rss=rss_size), measured_text, baseline_text, compared_text, required_text, verdict))
    return rows


def measurement_rows(run):
    rows = []
    for name, label, _ in ROWS:
        rows.append((label, fmt(run.goodput(name)), fmt(run.rss(name, "sender")), fmt(run.rss(name, "receiver")),
                     run.all_goodputs(name), run.notes(name)))
    rss_note = run.notes("sr-rss")
    rows.append((f"sr, {run.env.get('rss_size')} file", fmt(run.goodput("sr-rss")), fmt(run.rss("sr-rss", "sender")),
                 fmt(run.rss("sr-rss", "receiver")), run.all_goodputs("sr-rss"), rss_note))
    return rows


def ratio_rows(run):
    return [(label, *[fmt(run.ratio(name, baseline), 2) for baseline, _ in BASELINES])
            for name, label, _ in ROWS if name in OURS]


def text_table(headers, rows, right_from=1):
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]
    lines = []
    for row in (headers, *rows):
        cells = [str(cell).ljust(width) if index < right_from else str(cell).rjust(width)
                 for index, (cell, width) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def markdown_table(headers, rows, right_from=1, left_after=None):
    """Columns before `right_from` and from `left_after` on are left-aligned, the rest right."""
    def rule(index):
        left = index < right_from or (left_after is not None and index >= left_after)
        return "---" if left else "---:"
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(rule(index) for index in range(len(headers))) + " |"]
    for row in rows:
        lines.append("| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |")
    return "\n".join(lines)


TARGET_HEADERS = ("target", "ours", "baseline", "ratio / value", "required", "verdict")
MEASUREMENT_HEADERS = ("measurement", "goodput Mbit/s", "sender RSS MiB", "receiver RSS MiB", "every run", "notes")
RATIO_HEADERS = ("ours", *[label for _, label in BASELINES])


def console(run, seconds, perf_profile):
    env = run.env
    print(f"Benchmark, {env['date']}, commit {env['commit']}"
          + (f" + {env['uncommitted_source_files']} uncommitted source files" if env["uncommitted_source_files"] else "")
          + f"; {env['machine']}, {env['cores']} cores; file {env['size']}; median of {env['repeats']} runs; "
          + f"load average {env.get('loadavg_start')} at the start, {env.get('loadavg_end')} at the end")
    print()
    print("Targets (ratios of medians from this run):")
    print(text_table(TARGET_HEADERS, target_rows(run)))
    print()
    print("Goodput (median) and peak RSS (largest over the runs):")
    rows = measurement_rows(run)
    print(text_table(MEASUREMENT_HEADERS[:5], [row[:5] for row in rows], right_from=1))
    for row in rows:
        if row[5]:
            print(f"  {row[0]}: {row[5]}")
    print()
    print("Ratios, ours ÷ baseline:")
    print(text_table(RATIO_HEADERS, ratio_rows(run)))
    lossy = run.sim_rate("sim-lossy")
    print()
    print(f"Simulator: {fmt(run.sim_rate(), 0)} packets/s on a clean link (bench-sim defaults), "
          f"{fmt(lossy, 0)} packets/s with 2% loss and 5 ms delay")
    callgrind = run.callgrind()
    if callgrind:
        for side, program in (("send", "rudp-send"), ("recv", "rudp-recv")):
            figures = callgrind[side]
            print(f"callgrind {program}: {figures['per_mb']:,} instructions/MB "
                  f"({figures['per_mb_without_sha256']:,} without SHA-256, whose portable code valgrind forces)")
        print(f"callgrind simulator: {callgrind['sim']['instructions_per_packet']:,} instructions per simulated packet")
    notes = reading(run, perf_profile)
    if notes:
        print()
        print("Reading this run:")
        for note in notes:
            print(note.replace(" ([perf-profile.txt](perf-profile.txt))", "").replace("`", ""))
    print(f"(run took {seconds} s)")


def history_entry(run):
    callgrind = run.callgrind() or {}
    return {
        "date": run.env["date"], "commit": run.env["commit"],
        "uncommitted_source_files": run.env["uncommitted_source_files"], "size": run.env["size"],
        "goodput_mbps": {name: run.goodput(name) for name, _, _ in ROWS},
        "rss_mib": {"sender": run.rss("sr-rss", "sender"), "receiver": run.rss("sr-rss", "receiver")},
        "sim_packets_per_second": run.sim_rate(),
        "instructions_per_mb": {side: (callgrind.get(side) or {}).get("per_mb") for side in ("send", "recv")},
        "instructions_per_mb_without_sha256": {
            side: (callgrind.get(side) or {}).get("per_mb_without_sha256") for side in ("send", "recv")},
        "sim_instructions_per_packet": (callgrind.get("sim") or {}).get("instructions_per_packet"),
    }


def history_rows(history):
    rows = []
    for entry in history:
        goodput = entry["goodput_mbps"]
        commit = entry["commit"] + ("+" if entry.get("uncommitted_source_files") else "")
        per_mb = entry.get("instructions_per_mb_without_sha256") or {}
        rows.append((entry["date"], commit, entry["size"], fmt(goodput.get("sr")), fmt(goodput.get("gbn")),
                     fmt(goodput.get("sw")), fmt(goodput.get("sr-proxy")), fmt(goodput.get("iperf3")),
                     fmt(goodput.get("atftp-ws1")), fmt(goodput.get("atftp-ws64")),
                     fmt(entry["rss_mib"].get("receiver")), fmt(entry["rss_mib"].get("sender")),
                     fmt(entry.get("sim_packets_per_second"), 0),
                     fmt(per_mb.get("send"), 0), fmt(per_mb.get("recv"), 0),
                     fmt(entry.get("sim_instructions_per_packet"), 0)))
    return rows


HISTORY_HEADERS = ("date", "commit", "size", "sr", "gbn", "sw", "sr via proxy", "iperf3 UDP", "atftp ws1",
                   "atftp ws64", "recv RSS", "send RSS", "sim pkt/s", "send instr/MB*", "recv instr/MB*",
                   "sim instr/pkt")


def spread_notes(run):
    """Measurements whose runs differ by more than half the median: their medians are soft."""
    notes = []
    for name, label, _ in ROWS:
        values = [record.get("mbps") for record in run.ok(name) if record.get("mbps")]
        if len(values) >= 3:
            middle = statistics.median(values)
            if (max(values) - min(values)) > 0.5 * middle:
                notes.append(f"{label} ({fmt(min(values))} to {fmt(max(values))})")
    return notes


def profile_tops(path, count=3):
    """The first `count` functions of each section of perf-profile.txt: [(section, [(share, function)])]."""
    sections, current = [], None
    with open(path) as file:
        for line in file:
            stripped = line.strip()
            if stripped.endswith("(self):") or stripped.startswith("rudp-lab bench-sim"):
                current = (stripped.split(":")[0].split(",")[0], [])
                sections.append(current)
            elif current is not None and stripped[:1].isdigit() and "%" in stripped and len(current[1]) < count:
                share, rest = stripped.split("%", 1)
                words = rest.split()
                current[1].append((share + "%", " ".join(words[2:]) if len(words) > 2 else rest.strip()))
    return sections


def reading(run, perf_profile):
    """Observations computed from this run, for whoever reads the tables."""
    env = run.env
    lines = []
    load = env.get("loadavg_start", "")
    try:
        busy = float(load.split()[0]) > 0.5 * int(env["cores"])
    except (ValueError, IndexError):
        busy = False
    if busy:
        lines.append(f"- The machine was busy: load average {load} at the start and {env.get('loadavg_end')} at the end "
                     f"on {env['cores']} cores. Every figure here shares the CPUs with that work; prefer the ratios "
                     "and the instruction counts, which move less.")
    iperf = run.ok("iperf3")
    if iperf:
        lost = median([record.get("lost_percent") for record in iperf])
        if lost is not None and lost > 5:
            lines.append(f"- iperf3's UDP receiver lost {fmt(lost, 1)}% (median) of the "
                         f"{fmt(median([r.get('sent_mbps') for r in iperf]))} Mbit/s its sender offered: its received "
                         "rate is the speed of iperf3's own receive loop (one datagram per system call) on a shared "
                         "core, not a limit of the loopback link.")
    tcp, raw_tcp = run.goodput("tcp"), run.goodput("iperf3-tcp")
    if tcp and raw_tcp:
        lines.append(f"- `rudp-send --protocol tcp` reaches {fmt(100 * tcp / raw_tcp, 0)}% of iperf3's TCP: the rest "
                     "is the file handling both share with RUDP (reading the file, SHA-256 on both sides, writing, "
                     "syncing and renaming at the receiver).")
    noisy = spread_notes(run)
    if noisy:
        lines.append("- Runs spread by more than half their median for: " + "; ".join(noisy) + ".")
    if perf_profile:
        for section, tops in profile_tops(perf_profile):
            if tops:
                lines.append(f"- perf, {section}: " + ", ".join(f"{function} {share}" for share, function in tops)
                             + " of its CPU samples ([perf-profile.txt](perf-profile.txt)).")
    return lines


def readme(run, history, has_top, seconds, perf_profile):
    env = run.env
    callgrind = run.callgrind()
    lines = [
        "# Performance benchmark (issues 7 and 13)",
        "",
        "Generated by `scripts/bench.sh` — do not edit by hand; run the script again instead. "
        "Every figure below comes from one run on loopback with release builds; each transfer "
        f"measurement ran {env['repeats']} times, interleaved, and the median counts (peak RSS: the largest). "
        "Ratios are of medians from the same run.",
        "",
        "## Environment",
        "",
        f"- date: {env['date']}; run took {seconds} s",
        f"- commit: `{env['commit']}`"
        + (f" with {env['uncommitted_source_files']} uncommitted files under Sources/" if env["uncommitted_source_files"] else ""),
        f"- machine: {env['machine']}, {env['cores']} cores, {env['cpu']}",
        f"- {env['swift']}",
        f"- baselines: {env['iperf3'] or 'iperf3 missing'}; {env['atftp'] or 'atftp missing'}; "
        f"{env['valgrind'] or 'valgrind missing'}",
        f"- net.core.rmem_max {env['rmem_max']}, wmem_max {env['wmem_max']}",
        f"- load average (1, 5, 15 min) at the start {env.get('loadavg_start')}, at the end {env.get('loadavg_end')}: "
        "with 2 cores, any other work on the machine lowers every figure",
        f"- received files written to {env.get('sink')} by rudp-recv and atftp alike",
        f"- file: {env['size']} ({env['bytes']:,} bytes) of random data; RSS file {env['rss_size']}; "
        f"iperf3 blasts of {env['iperf_seconds']} s",
        "",
        "## Targets",
        "",
        markdown_table(TARGET_HEADERS, target_rows(run), left_after=5),
        "",
        "## Goodput and peak RSS",
        "",
        "Goodput is file bytes × 8 / seconds: rudp-send's own figure for ours and for TCP (from the "
        "start of the connection until the receiver confirmed the SHA-256 of the synced file); for "
        "atftp the client's wall time from start to exit; for iperf3 the payload bytes the server "
        "received over the blast. Peak RSS is GNU time's maximum resident set size of each process.",
        "",
        markdown_table(MEASUREMENT_HEADERS, measurement_rows(run), left_after=4),
        "",
        "What each row runs:",
        "",
    ]
    lines += [f"- {label}: {what}" for _, label, what in ROWS]
    lines += [
        "",
        "## Ratios, ours ÷ baseline",
        "",
        markdown_table(RATIO_HEADERS, ratio_rows(run)),
        "",
        "## Simulator",
        "",
        f"`rudp-lab bench-sim` (50 Selective Repeat transfers of 1 MB, clean link): "
        f"{fmt(run.sim_rate(), 0)} simulated packets/s (median; runs: "
        + ", ".join(fmt(r.get("packets_per_second"), 0) for r in run.ok("sim")) + "). "
        f"With `--loss 2% --delay 5ms`: {fmt(run.sim_rate('sim-lossy'), 0)} packets/s.",
        "",
    ]
    if callgrind:
        lines += [
            "## Instructions per MB (callgrind)",
            "",
            "`scripts/bench/callgrind.sh`: a 16 MB sr transfer on loopback with both programs under "
            "callgrind, minus a 1000-byte transfer's count (start-up, handshake, teardown), per 10^6 bytes. "
            "User-space instructions only (the kernel's share of each system call is not counted). "
            "Valgrind's virtual CPU hides the SHA extensions, so SHA-256 runs its portable code there; "
            "on a CPU with SHA-NI the real programs use the instructions, so the column without SHA-256 "
            "is the one that tracks the protocol and I/O code.",
            "",
            markdown_table(("program", "instructions/MB", "without SHA-256", "in SHA-256", "fixed cost"), [
                (program, fmt(callgrind[side]["per_mb"], 0), fmt(callgrind[side]["per_mb_without_sha256"], 0),
                 fmt(callgrind[side]["sha256_per_mb"], 0), fmt(callgrind[side]["fixed_instructions"], 0))
                for side, program in (("send", "rudp-send"), ("recv", "rudp-recv"))]),
            "",
            f"Sender under callgrind: {callgrind['packets_sent']} packets, {callgrind['retransmissions']} "
            f"retransmissions, {callgrind['timeouts']} timeouts. Simulator: "
            f"{fmt(callgrind['sim']['instructions_per_packet'], 0)} instructions per simulated packet "
            f"(bench-sim with 12 transfers minus 2).",
            "",
        ]
        if has_top:
            lines += ["The costliest functions of each side: [callgrind-top.txt](callgrind-top.txt).", ""]
    notes = reading(run, perf_profile)
    if notes:
        lines += ["## Reading this run", "", *notes, ""]
    lines += [
        "## History",
        "",
        "One row per run of the script that wrote here (history.jsonl); goodput in Mbit/s, RSS in MiB "
        "for the RSS file; * instructions per MB without SHA-256. A `+` after the commit: the tree "
        "had uncommitted source changes.",
        "",
        markdown_table(HISTORY_HEADERS, history_rows(history), right_from=3),
        "",
        "## Files",
        "",
        "- `raw.jsonl`: every measurement of this run, one JSON object per line (the sender's JSON "
        "summary included for ours, the lossproxy statistics for the relayed run)",
        "- `env.json`: the environment above",
        "- `bench-output.txt`: the console output of this run",
        "- `callgrind.txt`, `callgrind-top.txt`: the output of scripts/bench/callgrind.sh",
        "- `perf-profile.txt`: the output of scripts/bench/perf-profile.sh (CPU samples per function)",
        "- `history.jsonl`: the headline figures of every run",
        "",
    ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--raw", required=True)
    parser.add_argument("--env", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--callgrind-top", default="")
    parser.add_argument("--perf-profile", default="")
    parser.add_argument("--seconds", default="?")
    arguments = parser.parse_args()
    with open(arguments.env) as file:
        env = json.load(file)
    run = Run(load(arguments.raw), env)
    perf_profile = arguments.perf_profile if arguments.perf_profile and os.path.exists(arguments.perf_profile) else None
    console(run, arguments.seconds, perf_profile)
    history_path = os.path.join(arguments.out, "history.jsonl")
    history = load(history_path) if os.path.exists(history_path) else []
    history.append(history_entry(run))
    with open(history_path, "a") as file:
        file.write(json.dumps(history[-1]) + "\n")
    has_top = bool(arguments.callgrind_top) and os.path.exists(arguments.callgrind_top)
    with open(os.path.join(arguments.out, "README.md"), "w") as file:
        file.write(readme(run, history, has_top, arguments.seconds, perf_profile))


if __name__ == "__main__":
    main()
