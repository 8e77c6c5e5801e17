#!/usr/bin/python3
"""Draw docs/wide_curve.svg from the CSV bench/wide_curve.sh writes.

usage: /usr/bin/python3 bench/plot_wide_curve.py WORK_DIR/wide_curve.csv [docs/wide_curve.svg]

Left: CPU seconds (user + sys, median of the paired rounds) against the
number of predictors p at a fixed file size, for linreg's default (streaming
QR), linreg --method inverse (Gram matrix) and pandas + numpy lstsq. Right:
the default's CPU time over the inverse path's and over numpy's.
"""
import sys

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402

src = sys.argv[1]
dst = sys.argv[2] if len(sys.argv) > 2 else "docs/wide_curve.svg"
notes, rows = [], []
with open(src) as f:
    for line in f:
        if line.startswith("#"):
            notes.append(line[1:].strip())
        elif line.startswith("p,"):
            header = line.strip().split(",")
        elif line.strip():
            rows.append(dict(zip(header, map(float, line.strip().split(",")))))
p = [r["p"] for r in rows]
mb = sorted({int(r["MB"]) for r in rows})
plt.rcParams["svg.hashsalt"] = "linreg"
fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 4))
for key, label, style in (("default", "linreg default (QR)", "o-"),
                          ("inverse", "linreg --method inverse", "s--"),
                          ("numpy", "pandas + numpy lstsq", "^:")):
    ax.plot(p, [r[key + "_cpu"] for r in rows], style, label=label)
ax.set_xscale("log")
size = str(mb[0]) if mb[0] == mb[-1] else "%d–%d" % (mb[0], mb[-1])
ax.set_xlabel("predictors p (file size fixed: %s MB)" % size)
ax.set_ylabel("CPU seconds (user + sys), median")
ax.set_title("Time against p at a fixed file size")
ax.grid(True, which="both", alpha=0.3)
ax.legend()
ax2.plot(p, [r["default_cpu"] / r["inverse_cpu"] for r in rows], "o-", label="default / inverse")
ax2.plot(p, [r["default_cpu"] / r["numpy_cpu"] for r in rows], "^:", label="default / numpy")
ax2.axhline(1.0, color="grey", lw=0.8)
ax2.set_xscale("log")
ax2.set_xlabel("predictors p")
ax2.set_ylabel("CPU time ratio")
ax2.set_title("linreg default relative to the others")
ax2.grid(True, which="both", alpha=0.3)
ax2.legend()
fig.text(0.01, 0.01, "; ".join(notes), fontsize=6, color="grey")
fig.tight_layout(rect=(0, 0.04, 1, 1))
fig.savefig(dst, metadata={"Date": None})
print("wrote", dst)
