#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Plot bench/run's results: wall time and peak RSS of each tool against the dump's size.

  bench/plot.py [bench/results/run.json] [-o bench/results/scaling.png]

Uses the sysrq dump (256 MB guest) and the big dumps of bench/make-big-dumps
(the fill scenario, a sysrq crash, at -d 31 and -d 0), one line per tool through every dump
sorted by file size; circles are -d 31 dumps, squares -d 0.  Debian's
python3-matplotlib (hence /usr/bin/python3).
"""
import argparse
import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

HERE = os.path.dirname(os.path.abspath(__file__))
STYLE = {  # tool -> (colour, line style): ktriage in blues and solid, the others dashed
    "ktriage analyze": ("#08306b", "-"), "ktriage dmesg": ("#2171b5", "-"),
    "ktriage ps": ("#4292c6", "-"), "ktriage bt -a": ("#6baed6", "-"),
    "ktriage reads": ("#9ecae1", "-"),
    "crash sys+log+bt -a": ("#cb181d", "--"), "drgn triage": ("#ec7014", "--"),
    "makedumpfile --dump-dmesg": ("#238b45", "--"), "libkdumpfile reads": ("#6a51a3", "--"),
}


def series(results):
    """tool -> [(bytes, dump_level, wall, cpu, rss_mib)], sorted by dump size."""
    out = {}
    for r in results:
        if not (r["label"] == "sysrq" or r["label"].startswith("fill ")):
            continue
        for c in r["cases"]:
            if c.get("wall_median") and not c.get("error"):
                out.setdefault(c["tool"], []).append(
                    (r["bytes"], r["dump_level"], c["wall_median"], c["cpu_median"],
                     c["rss_kib"] / 1024))
    return {t: sorted(v) for t, v in out.items()}


def plot(data, machine, path):
    fig, (ax_t, ax_c, ax_m) = plt.subplots(1, 3, figsize=(16, 6))
    for tool, pts in data.items():
        colour, line = STYLE.get(tool, ("#777777", ":"))
        xs = [p[0] / 1e6 for p in pts]
        for ax, k in ((ax_t, 2), (ax_c, 3), (ax_m, 4)):
            ax.plot(xs, [p[k] for p in pts], line, color=colour, label=tool, linewidth=1.5)
            for p, x in zip(pts, xs):
                ax.plot(x, p[k], "s" if p[1] == 0 else "o", color=colour, markersize=5)
    ax_m.axhline(64, color="black", linewidth=0.8, linestyle=":")
    ax_m.annotate("64 MiB target", (ax_m.get_xlim()[0], 64), xytext=(4, 4),
                  textcoords="offset points", fontsize=8)
    for ax, title, unit in ((ax_t, "wall time (median)", "seconds"),
                            (ax_c, "CPU time, user+sys (median; less disturbed by the load)",
                             "seconds"),
                            (ax_m, "peak RSS", "MiB")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("dump file size, MB (circles: -d 31, squares: -d 0)")
        ax.set_ylabel(unit)
        ax.set_title(title)
        ax.grid(True, which="both", linewidth=0.3)
    handles, labels = ax_t.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=5, fontsize=9, frameon=False)
    fig.suptitle("ktriage, crash, drgn, makedumpfile, libkdumpfile as the dump grows "
                 "(%s; %d CPUs, load %.0f-%.0f)" % (machine["date"][:10], machine["nproc"],
                                                   machine["load_start"], machine["load_end"]),
                 fontsize=10)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.savefig(path, dpi=110)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("json", nargs="?", default=os.path.join(HERE, "results", "run.json"))
    p.add_argument("-o", "--out", default=os.path.join(HERE, "results", "scaling.png"))
    opts = p.parse_args()
    with open(opts.json) as f:
        run = json.load(f)
    data = series(run["results"])
    if not data:
        raise SystemExit("plot: no sysrq or big-dump results in " + opts.json)
    os.makedirs(os.path.dirname(os.path.abspath(opts.out)), exist_ok=True)
    plot(data, run["machine"], opts.out)
    print(opts.out)


if __name__ == "__main__":
    main()
