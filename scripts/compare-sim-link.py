#!/usr/bin/env python3
"""Writes DIR/README.md comparing two `rudp-lab sweep` runs of one grid: DIR/sim and DIR/link.

    python3 scripts/compare-sim-link.py results/sim-vs-link

Measurements come from each sub-run's results.csv (one row per run; means over the runs with
ok=true), the models, commands and environment from its summary.json. Nothing is typed in by
hand: rerun this after rerunning the two sweeps (scripts/results.sh sim-vs-link does both).
"""

import csv
import json
import math
import os
import sys

NETWORKS = ("sim", "link")
PROTOCOL_NAMES = {"sw": "stop-and-wait", "gbn": "Go-Back-N", "sr": "Selective Repeat", "tcp": "TCP"}


def significant(value, digits=3):
    """A number with `digits` significant figures, the way the lab's own READMEs print them."""
    if value is None:
        return "–"
    if value == 0:
        return "0"
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(value)))))
    return f"{value:.{decimals}f}"


def percent(fraction):
    """A signed percentage difference, e.g. +4.2% or −12%."""
    value = fraction * 100
    sign = "+" if value >= 0 else "−"
    magnitude = abs(value)
    text = f"{magnitude:.1f}" if magnitude < 10 else f"{magnitude:.0f}"
    return f"{sign}{text}%"


def condition_key(protocol, loss, delay, rate, window):
    """The grid point a run or a summary condition belongs to."""
    return (protocol, float(loss), float(delay), float(rate), int(window) if window not in ("", None) else None)


def read_runs(directory):
    """Per condition: the goodputs, retransmissions and timeouts of the successful runs, and the count of all runs."""
    conditions = {}
    with open(os.path.join(directory, "results.csv"), newline="") as file:
        for row in csv.DictReader(file):
            key = condition_key(row["protocol"], row["loss"], row["delay"], row["rate"], row["window"])
            entry = conditions.setdefault(key, {"goodput": [], "retransmissions": [], "timeouts": [], "runs": 0})
            entry["runs"] += 1
            if row["ok"] != "true":
                continue
            entry["goodput"].append(float(row["goodput_mbps"]))
            if row["retransmissions"] != "":
                entry["retransmissions"].append(float(row["retransmissions"]))
            if row["timeouts"] != "":
                entry["timeouts"].append(float(row["timeouts"]))
    return conditions


def read_counts(directory):
    """Per run (condition and repeat) of a successful run: its retransmissions and timeouts."""
    counts = {}
    with open(os.path.join(directory, "results.csv"), newline="") as file:
        for row in csv.DictReader(file):
            if row["ok"] == "true" and row["retransmissions"] != "":
                key = condition_key(row["protocol"], row["loss"], row["delay"], row["rate"], row["window"])
                counts[key + (int(row["repeat"]),)] = (row["retransmissions"], row["timeouts"])
    return counts


def read_summary(directory):
    with open(os.path.join(directory, "summary.json")) as file:
        return json.load(file)


def models(summary):
    """Per condition: the model's goodput for this transfer size, from summary.json."""
    result = {}
    for condition in summary["conditions"]:
        key = condition_key(condition["protocol"], condition["loss"], condition["delay"], condition["rate"],
                            condition.get("window"))
        model = condition.get("model") or {}
        result[key] = model.get("goodput_mbps")
    return result


def mean(values):
    return sum(values) / len(values) if values else None


def measured(entry):
    """Mean (min–max) goodput of a condition as the lab prints it."""
    values = entry["goodput"]
    if not values:
        return "failed"
    text = significant(mean(values))
    if len(values) > 1 and max(values) != min(values):
        text += f" ({significant(min(values))}–{significant(max(values))})"
    return text


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: compare-sim-link.py DIR   (DIR/sim and DIR/link hold the two sweeps)")
    directory = sys.argv[1]
    runs = {network: read_runs(os.path.join(directory, network)) for network in NETWORKS}
    summaries = {network: read_summary(os.path.join(directory, network)) for network in NETWORKS}
    model = models(summaries["link"])

    parameters = {network: dict(summaries[network]["parameters"]) for network in NETWORKS}
    if parameters["sim"] != parameters["link"]:
        differing = sorted(k for k in parameters["sim"] if parameters["sim"].get(k) != parameters["link"].get(k))
        sys.exit(f"compare-sim-link.py: the two sweeps differ in {', '.join(differing)}; rerun them with one grid")
    keys = sorted(set(runs["sim"]) & set(runs["link"]),
                  key=lambda k: (list(PROTOCOL_NAMES).index(k[0]) if k[0] in PROTOCOL_NAMES else 9, k[1:]))
    only = set(runs["sim"]) ^ set(runs["link"])
    if only:
        sys.exit(f"compare-sim-link.py: {len(only)} conditions appear in only one sweep")
    p = parameters["link"]
    size_mb = p["size"] / 1e6
    protocols = [k for k in PROTOCOL_NAMES if k in p["protocols"]]
    protocol_list = ", ".join(protocols)

    lines = [f"# Simulator against the TUN link ({protocol_list})", ""]
    lines.append(
        "The same sweep run twice, once on each network, with the same seeds, so the impairment engine makes "
        "the same sequence of loss decisions on both (the same packets are lost as long as both sides send "
        "their packets in the same order): `sim` runs the real sender "
        "and receiver state machines over the impairment engine on a virtual clock (deterministic, no "
        "operating system in the way); `link` runs rudp-send and rudp-recv as processes in two network "
        "namespaces joined by `lossproxy link`, the same impairment engine applied to every IP packet in "
        "real time, through the kernel's UDP stack. Where the two agree, the simulator can stand in for "
        "the real thing; where they differ, the difference is what real processes, real timers and real "
        "scheduling add.")
    lines.append("")
    lines.append("## Commands")
    lines.append("")
    lines.append("```")
    for network in NETWORKS:
        lines.append(summaries[network]["command"])
    lines.append("```")
    lines.append("")
    lines.append("This README was written by `python3 scripts/compare-sim-link.py " + directory + "` from the two "
                 "sub-runs' `results.csv` (measurements) and `summary.json` (models, environment); "
                 "`scripts/results.sh sim-vs-link` reruns all three steps.")
    lines.append("")

    lines.append("## Environment")
    lines.append("")
    lines.append("| | sim | link |")
    lines.append("|---|---|---|")
    for field in ("machine", "kernel", "commit", "build"):
        lines.append(f"| {field} | " + " | ".join(summaries[n]["environment"].get(field, "–") for n in NETWORKS) + " |")
    lines.append("| date | " + " | ".join(
        f"{summaries[n]['date']} (took {significant(summaries[n]['seconds'], 2)} s)" for n in NETWORKS) + " |")
    lines.append("")

    lines.append("## Results")
    lines.append("")
    lines.append(
        f"{size_mb:g} MB per transfer, window {', '.join(str(w) for w in p['window'])}, "
        f"one-way delay {', '.join(f'{d:g}' for d in p['delay'])} ms, "
        f"{', '.join(f'{r:g}' for r in p['rate'])} Mbit/s, loss per direction; {p['repeats']} repeats. "
        "Goodput in Mbit/s, mean (min–max) over the successful repeats; the model is the textbook "
        "formula for this transfer (docs/MODELS.md); link ÷ sim compares the means.")
    lines.append("")
    lines.append("| protocol | loss | sim goodput | link goodput | link ÷ sim | model | sim ÷ model | link ÷ model "
                 "| retransmissions sim | retransmissions link | runs ok sim | runs ok link |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    ratios = {}
    against_model = {network: {} for network in NETWORKS}
    for key in keys:
        protocol, loss = key[0], key[1]
        sim, link = runs["sim"][key], runs["link"][key]
        sim_mean, link_mean = mean(sim["goodput"]), mean(link["goodput"])
        predicted = model.get(key)
        ratio = link_mean / sim_mean if sim_mean and link_mean else None
        if ratio is not None:
            ratios.setdefault(protocol, []).append((ratio, loss))
        cells = []
        for network, value in (("sim", sim_mean), ("link", link_mean)):
            if value is not None and predicted:
                against_model[network].setdefault(protocol, []).append((value / predicted, loss))
                cells.append(f"{value / predicted:.2f}")
            else:
                cells.append("–")
        lines.append(
            f"| {protocol} | {loss:g}% | {measured(sim)} | {measured(link)} | "
            f"{f'{ratio:.2f}' if ratio is not None else '–'} | {significant(predicted)} | {cells[0]} | {cells[1]} | "
            f"{significant(mean(sim['retransmissions']))} | {significant(mean(link['retransmissions']))} | "
            f"{len(sim['goodput'])}/{sim['runs']} | {len(link['goodput'])}/{link['runs']} |")
    lines.append("")

    lines.append("## Plots")
    lines.append("")
    lines.append("Each plot chooses its own scale: read the axes before comparing them.")
    lines.append("")
    for network in NETWORKS:
        for plot in summaries[network].get("plots", []):
            lines.append(f"![{network}: {plot}]({network}/{plot})")
            lines.append("")

    lines.append("## Reading")
    lines.append("")
    for protocol in protocols:
        pairs = ratios.get(protocol)
        if not pairs:
            continue
        name = PROTOCOL_NAMES.get(protocol, protocol)
        average = mean([abs(r - 1) for r, _ in pairs])
        worst_ratio, worst_loss = max(pairs, key=lambda pair: abs(pair[0] - 1))
        lines.append(
            f"- {name}: the link's mean goodput differed from the simulator's by {percent(average)[1:]} on average "
            f"over the {len(pairs)} loss rates (link ÷ sim from {min(r for r, _ in pairs):.2f} to "
            f"{max(r for r, _ in pairs):.2f}); the largest difference, {percent(worst_ratio - 1)}, at "
            f"{worst_loss:g}% loss.")
    for protocol in protocols:
        parts = []
        for network in NETWORKS:
            pairs = against_model[network].get(protocol)
            if pairs:
                average = mean([abs(r - 1) for r, _ in pairs])
                worst_ratio, worst_loss = max(pairs, key=lambda pair: abs(pair[0] - 1))
                parts.append(f"on {network} within {percent(average)[1:]} on average "
                             f"(worst {percent(worst_ratio - 1)} at {worst_loss:g}%)")
        if parts:
            lines.append(f"- {PROTOCOL_NAMES.get(protocol, protocol)} against its model: " + "; ".join(parts) + ".")
    zero = [k for k in keys if k[1] == 0]
    for key in zero:
        sim_mean, link_mean = mean(runs["sim"][key]["goodput"]), mean(runs["link"][key]["goodput"])
        if sim_mean and link_mean:
            change = link_mean / sim_mean - 1
            why = ("the cost of real processes, system calls and timers when nothing is lost" if change < -0.02
                   else "no visible cost of real processes when nothing is lost" if change <= 0.02
                   else "faster than the simulated link, which deserves a look")
            lines.append(
                f"- Without loss, {PROTOCOL_NAMES.get(key[0], key[0])} reached {significant(link_mean)} Mbit/s on the "
                f"link against {significant(sim_mean)} in the simulator ({percent(change)}): {why}.")
    counts = {network: read_counts(os.path.join(directory, network)) for network in NETWORKS}
    paired = sorted(set(counts["sim"]) & set(counts["link"]))
    lossy = [run for run in paired if run[1] > 0]
    same_retransmissions = [run for run in lossy if counts["sim"][run][0] == counts["link"][run][0]]
    same_both = [run for run in lossy if counts["sim"][run] == counts["link"][run]]
    if lossy:
        lines.append(
            f"- Run for run (same condition, same repeat, so the same seed), the link retransmitted exactly as "
            f"many packets as the simulator in {len(same_retransmissions)} of the {len(lossy)} lossy runs, "
            f"and had the same number of timeouts as well in {len(same_both)}: "
            + ("a sign that the link lost the same packets as the simulator and the protocols reacted the "
               "same way; what differs is how long things took." if len(same_retransmissions) >= 0.9 * len(lossy)
               else "real timing changed which packets met the losses, so the runs are comparable only on average."))
    failed = {n: sum(e["runs"] - len(e["goodput"]) for e in runs[n].values()) for n in NETWORKS}
    total = {n: sum(e["runs"] for e in runs[n].values()) for n in NETWORKS}
    lines.append(f"- Failed runs: {failed['sim']} of {total['sim']} on sim, {failed['link']} of {total['link']} on link.")
    lines.append("")

    lines.append("## Files")
    lines.append("")
    for network in NETWORKS:
        lines.append(f"- [`{network}/`]({network}/README.md): the full `rudp-lab sweep` report on {network} "
                     "(results.csv, summary.json, plots, README).")

    path = os.path.join(directory, "README.md")
    with open(path, "w") as file:
        file.write("\n".join(lines) + "\n")
    print(f"wrote {path}: {len(keys)} conditions", file=sys.stderr)


if __name__ == "__main__":
    main()
