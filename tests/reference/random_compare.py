#!/usr/bin/env python3
"""random_compare.py -- linreg against R's lm + sandwich on generated files.

Not part of CI (it needs r-base-core and r-cran-sandwich): a by-hand search
for disagreements at the edges. For each seed it writes a CSV with columns
of random offsets (up to 1e7) and scales (1e-5 to 1e5), a factor, weights
(sometimes zero) and missing cells; fits one of a few formulas with one
covariance type in linreg (--format json) and in R; and prints DIFF with
what differs beyond 1e-6. Known, documented differences are not reported:
- NA (JSON null) where R prints NaN or -Inf;
- R's fixed pivot tolerance of 1e-7 on uncentred columns aliasing a column
  linreg keeps ("R aliased"; docs/accuracy.md, "Solvers");
- HC and HAC with zero weights: compared with sandwich on the fit without
  those rows (docs/guide.md, "Rows of weight zero" and HAC's section);
- the robust Wald F (R prints the classical F);
- robust standard errors linreg prints NA with a warning (no certain digit).
With --exact, every robust standard error of a fit that warned about its
digits (small files, supported formulas, no weights) is checked against
rational arithmetic on the decimal text: a kept one must have at least the
digits its warning promised, and an NA one at most two correct digits in R
or be exactly zero (BAD otherwise).

usage: tests/reference/random_compare.py LINREG N SEED [--robust] [--exact]
  --robust: HAC (lag 2) and CL (by g) instead of classical and HC0-HC3
"""
import csv
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from fractions import Fraction as Fr

R_PROGRAM = r'''
args <- commandArgs(TRUE)
d <- read.csv(args[1], stringsAsFactors = TRUE)
fml <- as.formula(args[2]); wcol <- args[3]; vc <- args[4]
d$.w <- if (wcol != "-") d[[wcol]] else 1  # lm evaluates weights in the data
fit <- if (wcol != "-") lm(fml, data = d, weights = .w) else lm(fml, data = d)
s <- summary(fit); cf <- coef(fit); V <- vcov(fit)
# HC and HAC: linreg leaves rows of weight zero out (docs/guide.md), sandwich
# keeps them in n and in the series: compare with the fit without them
d0 <- d[is.na(d$.w) | d$.w != 0, ]
f0 <- if (wcol != "-") lm(fml, data = d0, weights = .w) else fit
if (vc != "classical") suppressMessages(library(sandwich))
if (vc == "HAC") V <- NeweyWest(f0, lag = 2, prewhite = FALSE)
if (vc == "CL") V <- vcovCL(fit, cluster = ~g, type = "HC1")
if (substr(vc, 1, 2) == "HC") V <- vcovHC(f0, type = vc)
se <- rep(NA, length(cf)); names(se) <- names(cf)
ok <- !is.na(cf); se[ok] <- sqrt(diag(V))[names(cf)[ok]]
for (i in seq_along(cf)) cat("coef", names(cf)[i], sprintf("%.17g", cf[i]), sprintf("%.17g", se[i]), "\n")
cat("sigma", sprintf("%.17g", s$sigma), "\n")
cat("r2", sprintf("%.17g", s$r.squared), "\n")
cat("adjr2", sprintf("%.17g", s$adj.r.squared), "\n")
if (!is.null(s$fstatistic)) cat("F", sprintf("%.17g", s$fstatistic[1]), "\n")
cat("aic", sprintf("%.17g", AIC(fit)), "\n")
cat("bic", sprintf("%.17g", BIC(fit)), "\n")
cat("df", fit$df.residual, "\n")
'''

FORMULAS = ["y ~ x1 + x2", "y ~ x1 * g", "y ~ x1 + I(x1^2) + log(x3)", "y ~ 0 + x1 + g",
            "y ~ x1 + x2 + x5", "y ~ x1:x2 + x4 + g", "y ~ x1 + x2 + x3 + x4 + g", "y ~ g",
            "y ~ x1 + g + x1:g + x2"]


def make_file(seed, path):
    """A generated data set: (rows, weight mode)."""
    rnd = random.Random(seed)
    n = rnd.choice([4, 7, 15, 60, 400, 3000])
    sc = [10 ** rnd.uniform(-5, 5) for _ in range(4)]
    off = [rnd.choice([0, 0, 10 ** rnd.uniform(0, 7)]) for _ in range(4)]
    levels = ["L%d" % i for i in range(rnd.randint(2, 5))]
    na_rate = rnd.choice([0, 0, 0.05])
    wmode = rnd.choice(["-", "-", "w", "w0"])
    lines = ["y,x1,x2,x3,x4,g,w,x5"]
    for _ in range(n):
        x = [off[j] + sc[j] * rnd.gauss(0, 1) for j in range(4)]
        x[2] = abs(x[2]) + sc[2] * 0.01  # positive, for log(x3)
        g = rnd.choice(levels)
        y = (1 + 0.5 * (x[0] - off[0]) / sc[0] - 2 * (x[1] - off[1]) / sc[1] +
             levels.index(g) * 0.3 + rnd.gauss(0, 1))
        w = 0 if wmode == "w0" and rnd.random() < 0.1 else rnd.uniform(0.1, 3)
        cells = (["%.17g" % y] + ["%.17g" % v for v in x] + [g, "%.17g" % w] +
                 ["%.17g" % (x[0] + x[1])])
        if na_rate and rnd.random() < na_rate:
            cells[rnd.randint(0, 4)] = "NA"
        lines.append(",".join(cells))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return n, wmode, rnd


def rel(a, b):
    return 0 if a == b else abs(a - b) / max(abs(a), abs(b), 1e-300)


def linreg_json(exe, path, fml, wcol, vc):
    cmd = [exe, "fit", "-q", "--format", "json", "-f", fml]
    cmd += ["-w", "w"] if wcol != "-" else []
    cmd += ["--vcov", vc] if vc != "classical" else []
    cmd += ["--lag", "2"] if vc == "HAC" else []
    cmd += ["--cluster", "g"] if vc == "CL" else []
    p = subprocess.run(cmd + [path], capture_output=True, text=True)
    return (json.loads(p.stdout) if p.returncode == 0 else None), p.stderr


def r_fit(rfile, path, fml, wcol, vc):
    p = subprocess.run(["Rscript", rfile, path, fml, wcol, vc], capture_output=True, text=True)
    if p.returncode != 0:
        return None
    ref, coefs = {}, []
    num = lambda t: None if t in ("NA", "NaN") else float(t)
    for line in p.stdout.splitlines():
        t = line.split()
        if t[0] == "coef":
            coefs.append((t[1], num(t[2]), num(t[3])))
        else:
            ref[t[0]] = num(t[1])
    return ref, coefs


def compare(J, ref, coefs, vc):
    msgs = []
    lc = {c["name"]: c for c in J["coefficients"]}
    if any(est is None and not lc.get(name, {}).get("aliased") for name, est, _ in coefs):
        return ["R aliased a column linreg keeps (R's 1e-7 tolerance)"], True
    for name, est, se in coefs:
        c = lc.get(name)
        if c is None:
            msgs.append("no coefficient " + name)
            continue
        if est is None:
            continue
        if c.get("aliased"):
            msgs.append("linreg aliased %s, R did not" % name)
            continue
        d = abs(c["estimate"] - est) / max(se or 0, abs(est) * 1e-12, 1e-300)
        if d > 1e-6 and rel(c["estimate"], est) > 1e-12:
            msgs.append("%s estimate %.17g, R %.17g (%.1e SEs)" % (name, c["estimate"], est, d))
        if se is not None and c["std_error"] is not None and rel(c["std_error"], se) > 1e-6:
            msgs.append("%s SE %.17g, R %.17g (rel %.1e)" % (name, c["std_error"], se,
                                                             rel(c["std_error"], se)))
        if se is not None and c["std_error"] is None and not any(
                "certain" in nt or "zero to rounding" in nt for nt in J["notes"]):
            msgs.append("%s SE NA without a reason, R %.17g" % (name, se))
    keys = [("sigma", "sigma"), ("r2", "r_squared"), ("adjr2", "adj_r_squared"), ("aic", "aic"),
            ("bic", "bic")] + ([("F", "f_statistic")] if vc == "classical" else [])
    for k, jk in keys:
        if ref.get(k) is not None and J.get(jk) is not None and rel(J[jk], ref[k]) > 1e-8:
            msgs.append("%s %.17g, R %.17g" % (k, J[jk], ref[k]))
    if ref.get("df") is not None and int(ref["df"]) != J["df_residual"]:
        msgs.append("df %d, R %d" % (J["df_residual"], ref["df"]))
    return msgs, False


# ---- exact rational arithmetic (small files, no weights) -------------------

def design(rows, fml):
    levels = sorted(set(r["g"] for r in rows))
    dum = lambda r, lv: [Fr(int(r["g"] == v)) for v in lv]
    x = lambda r, k: Fr(r[k])
    build = {
        "y ~ g": lambda r: [Fr(1)] + dum(r, levels[1:]),
        "y ~ x1 + x2": lambda r: [Fr(1), x(r, "x1"), x(r, "x2")],
        "y ~ x1 * g": lambda r: ([Fr(1), x(r, "x1")] + dum(r, levels[1:]) +
                                 [x(r, "x1") * v for v in dum(r, levels[1:])]),
        "y ~ x1 + x2 + x3 + x4 + g": lambda r: ([Fr(1)] + [x(r, k) for k in ("x1", "x2", "x3", "x4")]
                                                + dum(r, levels[1:])),
        "y ~ 0 + x1 + g": lambda r: [x(r, "x1")] + dum(r, levels),
    }.get(fml)
    return None if build is None else [build(r) for r in rows]


def inverse(a):
    m = len(a)
    t = [row[:] + [Fr(int(i == j)) for j in range(m)] for i, row in enumerate(a)]
    for c in range(m):
        piv = next((r for r in range(c, m) if t[r][c] != 0), None)
        if piv is None:
            return None
        t[c], t[piv] = t[piv], t[c]
        t[c] = [v / t[c][c] for v in t[c]]
        for r in range(m):
            if r != c and t[r][c] != 0:
                f = t[r][c]
                t[r] = [u - f * v for u, v in zip(t[r], t[c])]
    return [row[m:] for row in t]


def exact_se(path, fml, vc):
    """The robust standard errors in rational arithmetic, or None."""
    cols = ["y", "g"] + [c for c in ("x1", "x2", "x3", "x4") if c in fml]
    with open(path) as f:
        rows = [r for r in csv.DictReader(f) if all(r[k] not in ("NA", "") for k in cols)]
    X = design(rows, fml)
    if X is None or vc == "CL":
        return None
    y = [Fr(r["y"]) for r in rows]
    n, p = len(X), len(X[0])
    if n <= p:
        return None
    mult = lambda a, b: [[sum(a[i][k] * b[k][j] for k in range(len(b))) for j in range(len(b[0]))]
                         for i in range(len(a))]
    B = inverse([[sum(X[k][i] * X[k][j] for k in range(n)) for j in range(p)] for i in range(p)])
    if B is None:
        return None
    beta = [sum(B[i][j] * sum(X[k][j] * y[k] for k in range(n)) for j in range(p))
            for i in range(p)]
    e = [y[k] - sum(X[k][i] * beta[i] for i in range(p)) for k in range(n)]
    if vc == "HAC":
        s = [[e[t] * X[t][i] for i in range(p)] for t in range(n)]
        gam = lambda l: [[sum(s[t][i] * s[t - l][j] for t in range(l, n)) for j in range(p)]
                         for i in range(p)]
        M = gam(0)
        for l in (1, 2):
            gl, wl = gam(l), 1 - Fr(l, 3)
            M = [[M[i][j] + wl * (gl[i][j] + gl[j][i]) for j in range(p)] for i in range(p)]
        scale = 1
    else:
        h = [sum(X[k][i] * B[i][j] * X[k][j] for i in range(p) for j in range(p)) for k in range(n)]
        if vc in ("HC2", "HC3") and any(v == 1 for v in h):
            return None
        om = [e[k] ** 2 / ((1 - h[k]) ** (0 if vc in ("HC0", "HC1") else 1 if vc == "HC2" else 2))
              for k in range(n)]
        M = [[sum(om[k] * X[k][i] * X[k][j] for k in range(n)) for j in range(p)] for i in range(p)]
        scale = Fr(n, n - p) if vc == "HC1" else 1
    V = mult(mult(B, M), B)
    return [math.sqrt(float(V[i][i] * scale)) for i in range(p)]


def check_exact(J, rj, path, fml, vc):
    ex = exact_se(path, fml, vc)
    if ex is None:
        return []
    claim = 15
    for nt in J["notes"]:
        m = re.search(r"only about (\d+) significant", nt)
        if m:
            claim = int(m.group(1))
    out = []
    rse = [c[2] for c in rj] if rj else [None] * len(ex)
    for k, (c, x) in enumerate(zip(J["coefficients"], ex)):
        v = c["std_error"]
        digits = lambda u: (99 if u == x else -99 if x == 0 else -math.log10(abs(u - x) / x))
        if v is not None and digits(v) < claim - 0.5:
            out.append("BAD %s: %.17g has %.1f digits of the exact %.17g, %d promised" %
                       (c["name"], v, digits(v), x, claim))
        if v is None and x != 0 and rse[k] is not None and digits(rse[k]) > 2:
            out.append("BAD %s: NA, but R's %.17g has %.1f digits of the exact %.17g" %
                       (c["name"], rse[k], digits(rse[k]), x))
    return out


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 3:
        sys.exit(__doc__)
    exe, count, seed0 = os.path.abspath(args[0]), int(args[1]), int(args[2])
    robust, exact = "--robust" in sys.argv, "--exact" in sys.argv
    work = tempfile.mkdtemp(prefix="random_compare.")
    # the work directory goes whatever ends the run (SIGTERM too; SIGKILL cannot be caught)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        rfile = os.path.join(work, "fit.R")
        with open(rfile, "w") as f:
            f.write(R_PROGRAM)
        ndiff = nbad = 0
        for seed in range(seed0, seed0 + count):
            path = os.path.join(work, "d%d.csv" % seed)
            n, wmode, rnd = make_file(seed, path)
            fml = rnd.choice(FORMULAS)
            vc = rnd.choice(["HAC", "CL"] if robust else ["classical", "classical", "HC0", "HC1",
                                                          "HC2", "HC3"])
            wcol = "-" if wmode == "-" else "w"
            tag = "seed %d: %d rows, %s, weights %s, %s" % (seed, n, fml, wmode, vc)
            J, err = linreg_json(exe, path, fml, wcol, vc)
            R = r_fit(rfile, path, fml, wcol, vc)
            if J is None or R is None:
                if (J is None) != (R is None):
                    print("DIFF %s: %s" % (tag, "linreg failed: " + err.strip() if J is None
                                           else "R failed, linreg fitted"))
                    ndiff += 1
                os.remove(path)
                continue
            msgs, known = compare(J, R[0], R[1], vc)
            if msgs and not known:
                ndiff += 1
                print("DIFF " + tag)
                for m in msgs[:8]:
                    print("    " + m)
            if exact and wcol == "-" and n <= 60 and vc != "classical" and any(
                    "certain" in nt for nt in J["notes"]):
                for line in check_exact(J, R[1], path, fml, vc):
                    nbad += 1
                    print("%s (%s)" % (line, tag))
            os.remove(path)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("%d files, %d with differences, %d BAD" % (count, ndiff, nbad))
    sys.exit(1 if nbad else 0)


if __name__ == "__main__":
    main()
