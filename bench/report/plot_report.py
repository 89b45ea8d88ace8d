#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Draws spk-report's JSON as a bar chart: speedup over oneDNN's default (direct) convolution /
matmul per layer, one bar per scheme (and density), plus oneDNN Winograd where it applies.

usage: plot_report.py REPORT.json OUT.png
"""
import json
import math
import sys


def series_name(r):
    """One legend entry per scheme and requested density: a per-layer schedule by its name, a
    uniform density rounded (the achieved density of a block scheme differs by a few %)."""
    if r["scheme"] == "dense":
        return "dense"
    config = r.get("config") or "uniform"
    if config != "uniform":
        return "%s %s" % (r["scheme"], config)
    d = r["density"]
    return "%s @%s" % (r["scheme"], ("%.1g" if d < 0.1 else "%.2g") % d)


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        sys.stderr.write("plot_report.py: matplotlib is missing (Debian: apt-get install python3-matplotlib)\n")
        return 3
    with open(argv[1]) as f:
        doc = json.load(f)
    meta, rows = doc.get("meta", {}), doc.get("rows", [])
    if not rows:
        sys.stderr.write("plot_report.py: no rows to plot\n")
        return 1

    # Layers in report order; one series per (scheme, density), plus the Winograd reference.
    layers, series, wino = [], {}, {}
    for r in rows:
        key = r["model"] + "/" + r["layer"]
        if key not in layers:
            layers.append(key)
        name = series_name(r)
        if r.get("speedup_vs_onednn") is not None:
            series.setdefault(name, {})[key] = r["speedup_vs_onednn"]
        if r.get("ms_onednn_winograd") and r.get("ms_onednn"):
            wino[key] = r["ms_onednn"] / r["ms_onednn_winograd"]
    names = list(series) + (["oneDNN Winograd"] if wino else [])
    if wino:
        series["oneDNN Winograd"] = wino

    values = [v for s in series.values() for v in s.values() if v and v > 0]
    log = max(values) / min(values) > 10
    width = 0.8 / len(names)
    fig, ax = plt.subplots(figsize=(min(24.0, max(8.0, 0.32 * len(layers) * len(names) + 3)), 6))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    # Each layer's bars are centred on its tick, counting only the series that layer has.
    present = {k: [n for n in names if k in series[n]] for k in layers}
    for i, name in enumerate(names):
        ks = [k for k in layers if k in series[name]]
        xs = [layers.index(k) + (present[k].index(name) - (len(present[k]) - 1) / 2) * width for k in ks]
        ys = [series[name][k] for k in ks]
        style = dict(color="0.75", hatch="//", edgecolor="0.4") if name == "oneDNN Winograd" else \
            dict(color=colours[i % len(colours)])
        bars = ax.bar(xs, ys, width, label=name, **style)
        for b, y in zip(bars, ys):
            ax.annotate("%.2f" % y, (b.get_x() + b.get_width() / 2, y), ha="center", va="bottom",
                        fontsize=6, rotation=90, xytext=(0, 2), textcoords="offset points")
    ax.axhline(1.0, color="black", linewidth=0.8, linestyle="--", label="oneDNN direct (= 1)")
    if log:
        ax.set_yscale("log")
        plain = matplotlib.ticker.FuncFormatter(lambda y, _: "%gx" % y)
        ax.yaxis.set_major_formatter(plain)
        ax.yaxis.set_minor_formatter(plain)
        ax.tick_params(axis="y", which="minor", labelsize=7)
    else:
        ax.set_ylim(0, max(values) * 1.18)
    ax.set_xticks(range(len(layers)))
    ax.set_xticklabels(layers, rotation=45, ha="right", fontsize=8)
    ax.set_xlabel("layer (model/layer)")
    ax.set_ylabel("speedup vs oneDNN direct (x)" + (", log scale" if log else ""))
    threads = meta.get("threads", "?")
    title = "spk vs oneDNN, %s thread%s, %s (%s, %s)" % (
        threads, "" if threads == 1 else "s", meta.get("cpu", "?"), meta.get("arch", "?"), meta.get("compiler", "?"))
    ax.set_title(title + "\n" + meta.get("date", ""), fontsize=10)
    ax.legend(fontsize=7 if len(names) > 20 else 8, ncol=1 if len(names) <= 20 else 2, loc="upper left",
              bbox_to_anchor=(1.0, 1.0))  # outside: never hides a bar
    ax.grid(axis="y", alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(argv[2], dpi=120)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
