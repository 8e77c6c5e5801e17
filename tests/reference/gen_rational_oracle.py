#!/usr/bin/env python3
"""Exact-rational oracle for hard linear least-squares cases (NIST StRD "higher
difficulty" look-alikes).

Run from the repository root:

    python3 tests/reference/gen_rational_oracle.py

Writes datasets/oracle/<case>.csv and datasets/oracle/certified.json.

Method.  The data written to a CSV file are exact decimal strings built from
integers (never a printed float); the oracle then reads the files back and
parses every field with fractions.Fraction(str), so the decimal text *is* the
data.  Everything after that is exact rational arithmetic:

    G = X'X, c = X'y                     (Fractions)
    G^-1 by Gauss-Jordan elimination      (Fractions)
    beta = G^-1 c, RSS = sum (y - X beta)^2 (exact)
    sigma^2 = RSS / (n - p), se_j^2 = sigma^2 [G^-1]_jj
    R^2 = 1 - RSS/TSS, TSS about the mean (intercept) or about zero (no intercept)

Certified values are printed with 30 significant digits, correctly rounded
(round half to even) from the exact rational, in the form d.ddd...e+XX.  Square
roots are rounded exactly with integer square roots and an exact comparison
with the rounding midpoint (and cross-checked against decimal.Decimal at 60
digits).  An exact zero is written "0".

Before writing anything, the same code is run on NIST's own data: the local
datasets/nist/*.csv (Norris, Pontius, NoInt1, Longley, Wampler1, Wampler3,
compared with datasets/nist/certified.json) and on Filip, NoInt2, Wampler2,
Wampler4 and Wampler5, whose data and certified values are embedded below
(public-domain NIST StRD data).  Every certified digit NIST prints (15
significant digits) must be reproduced, or the script fails.

Condition numbers are 2-norm condition numbers kappa(X) = sqrt(lmax/lmin) of the
Gram matrix X'X, with the eigenvalues computed by cyclic Jacobi in 200-digit
decimal arithmetic from the exact Gram matrix (lmin taken as 1/lmax of the exact
inverse, and checked against Jacobi's own smallest eigenvalue).  Three variants:
raw X; X with every column scaled to unit Euclidean norm; and (intercept models)
the non-intercept columns centred on their means, then scaled to unit norm.

Deterministic: fixed seeds, Python's random module used only through integer
draws (randrange/shuffle).  Standard library only.
"""

import json
import math
import os
import random
import sys
from decimal import Decimal, localcontext
from fractions import Fraction

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
NIST_DIR = os.path.join(ROOT, "datasets", "nist")
OUT_DIR = os.path.join(ROOT, "datasets", "oracle")

CERT_DIGITS = 30      # significant digits of the certified values
MAX_DATA_DIGITS = 17  # no data value may have more significant digits than this
EIG_PREC = 200        # decimal digits for the Jacobi eigenvalue iteration


# --------------------------------------------------------------------------
# exact decimal formatting
# --------------------------------------------------------------------------

def pow10(k):
    return Fraction(10 ** k) if k >= 0 else Fraction(1, 10 ** (-k))


def floor_log10(a):
    """floor(log10(a)) for a Fraction a > 0, exactly."""
    e = len(str(a.numerator)) - len(str(a.denominator))
    while a >= pow10(e + 1):
        e += 1
    while a < pow10(e):
        e -= 1
    return e


def round_sig(q, d):
    """q rounded to d significant digits (half to even): (sign, m, e) with
    value sign*m*10^e and 10^(d-1) <= m < 10^d; (0, 0, 0) for zero."""
    q = Fraction(q)
    if q == 0:
        return (0, 0, 0)
    sign = -1 if q < 0 else 1
    a = abs(q)
    shift = d - 1 - floor_log10(a)
    m = round(a * pow10(shift))          # Fraction.__round__: half to even
    if m == 10 ** d:
        m //= 10
        shift -= 1
    return (sign, m, -shift)


def sqrt_round_sig(q, d):
    """sqrt(q) rounded to d significant digits (half to even), exactly."""
    q = Fraction(q)
    if q < 0:
        raise ValueError("sqrt of a negative number")
    if q == 0:
        return (0, 0, 0)
    k = floor_log10(q) // 2               # 10^k <= sqrt(q) < 10^(k+1)
    shift = d - 1 - k
    v2 = q * pow10(2 * shift)             # sqrt(v2) in [10^(d-1), 10^d)
    n = math.isqrt(v2.numerator // v2.denominator)   # floor(sqrt(v2))
    mid = Fraction((2 * n + 1) ** 2, 4)   # (n + 1/2)^2
    if v2 > mid or (v2 == mid and n % 2 == 1):
        n += 1
    if n == 10 ** d:
        n //= 10
        shift -= 1
    assert 10 ** (d - 1) <= n < 10 ** d
    return (1, n, -shift)


def sig_to_fraction(t):
    sign, m, e = t
    return sign * m * pow10(e)


def fmt_sig(t):
    """(sign, m, e) -> 'd.ddd...e+XX' with every digit of m; '0' for zero."""
    sign, m, e = t
    if m == 0:
        return "0"
    digits = str(m)
    exp10 = e + len(digits) - 1
    mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return "%s%se%s%02d" % ("-" if sign < 0 else "", mant, "-" if exp10 < 0 else "+", abs(exp10))


def cert(q):
    """q to 30 digits, exactly; cross-checked with a 60-digit Decimal quotient."""
    s = fmt_sig(round_sig(q, CERT_DIGITS))
    if q != 0:
        chk = fmt_sig(round_sig(Fraction(decimal_of(Fraction(q), 60)), CERT_DIGITS))
        assert chk == s, (s, chk)
    return s


def decimal_of(q, prec):
    with localcontext() as ctx:
        ctx.prec = prec
        return Decimal(q.numerator) / Decimal(q.denominator)


def cert_sqrt(q):
    """sqrt(q) to 30 digits, exact method, cross-checked with 60-digit Decimal."""
    t = sqrt_round_sig(q, CERT_DIGITS)
    s = fmt_sig(t)
    if q != 0:
        with localcontext() as ctx:
            ctx.prec = 60
            r = decimal_of(Fraction(q), 60).sqrt()
            chk = fmt_sig(round_sig(Fraction(r), CERT_DIGITS))
        assert chk == s, (s, chk)
    return s


def exact_decimal_string(q, sci=False):
    """The exact decimal text of a terminating Fraction: positional
    (e.g. -8.781384) or, with sci, a minimal mantissa (e.g. 8.3e151)."""
    q = Fraction(q)
    den = q.denominator
    a = b = 0
    while den % 2 == 0:
        den //= 2
        a += 1
    while den % 5 == 0:
        den //= 5
        b += 1
    if den != 1:
        raise ValueError("%r is not a terminating decimal" % (q,))
    k = max(a, b)
    n = q * 10 ** k
    assert n.denominator == 1
    n = n.numerator
    neg = n < 0
    s = str(abs(n))
    stripped = s.rstrip("0") or "0"
    if len(stripped) > MAX_DATA_DIGITS:
        raise ValueError("%r has more than %d significant digits" % (q, MAX_DATA_DIGITS))
    if n == 0:
        out = "0"
    elif sci:
        z = len(s) - len(stripped)
        exp10 = z - k + len(stripped) - 1
        mant = stripped[0] + ("." + stripped[1:] if len(stripped) > 1 else "")
        out = "%se%d" % (mant, exp10)
    elif k == 0:
        out = s
    else:
        s = s.rjust(k + 1, "0")
        out = s[:-k] + "." + s[-k:]
    out = ("-" if neg else "") + out
    assert Fraction(out) == q, (out, q)
    return out


def sig_digits_of_text(s):
    """Significant digits in a decimal string (leading/trailing zeros off)."""
    mant = s.lstrip("+-").lower().split("e")[0].replace(".", "")
    mant = mant.lstrip("0").rstrip("0")
    return len(mant)


def round_to_sig_fraction(q, d):
    return sig_to_fraction(round_sig(q, d))


# --------------------------------------------------------------------------
# exact least squares
# --------------------------------------------------------------------------

def lcm(a, b):
    return a // math.gcd(a, b) * b


def gram(cols):
    """Exact X'X for columns given as Fraction lists (integer arithmetic
    after scaling every column by its common denominator)."""
    dens, ints = [], []
    for col in cols:
        d = 1
        for v in col:
            d = lcm(d, v.denominator)
        dens.append(d)
        ints.append([(v * d).numerator for v in col])
    p = len(cols)
    G = [[None] * p for _ in range(p)]
    for j in range(p):
        for k in range(j, p):
            s = sum(a * b for a, b in zip(ints[j], ints[k]))
            G[j][k] = G[k][j] = Fraction(s, dens[j] * dens[k])
    return G


def cross(cols, y):
    return [sum((a * b for a, b in zip(col, y)), Fraction(0)) for col in cols]


def inverse(M):
    """Exact inverse by Gauss-Jordan elimination on Fractions."""
    p = len(M)
    A = [list(M[i]) + [Fraction(int(i == j)) for j in range(p)] for i in range(p)]
    for c in range(p):
        piv = next((r for r in range(c, p) if A[r][c] != 0), None)
        if piv is None:
            raise ZeroDivisionError("singular matrix")
        A[c], A[piv] = A[piv], A[c]
        inv = 1 / A[c][c]
        A[c] = [v * inv for v in A[c]]
        for r in range(p):
            if r != c and A[r][c] != 0:
                f = A[r][c]
                rowc = A[c]
                A[r] = [a - f * b for a, b in zip(A[r], rowc)]
    return [row[p:] for row in A]


def fit_exact(cols, y, intercept):
    """cols: the model-matrix columns (the intercept column of ones first when
    intercept is True), Fractions.  Returns the exact solution and statistics."""
    n, p = len(y), len(cols)
    G = gram(cols)
    Ginv = inverse(G)
    c = cross(cols, y)
    beta = [sum((Ginv[j][k] * c[k] for k in range(p)), Fraction(0)) for j in range(p)]
    rss = Fraction(0)
    for i in range(n):
        r = y[i] - sum((cols[j][i] * beta[j] for j in range(p)), Fraction(0))
        rss += r * r
    if intercept:
        ybar = sum(y, Fraction(0)) / n
        tss = sum(((v - ybar) ** 2 for v in y), Fraction(0))
    else:
        tss = sum((v * v for v in y), Fraction(0))
    df = n - p
    s2 = rss / df
    return {
        "n": n, "p": p, "df": df, "G": G, "Ginv": Ginv, "beta": beta,
        "var": [s2 * Ginv[j][j] for j in range(p)],
        "rss": rss, "tss": tss, "s2": s2, "r2": 1 - rss / tss,
    }


# --------------------------------------------------------------------------
# condition numbers (Jacobi eigenvalues in high-precision Decimal)
# --------------------------------------------------------------------------

def jacobi_eigenvalues(A):
    """Eigenvalues of a symmetric Decimal matrix (cyclic Jacobi), ascending.
    Call inside a localcontext with enough precision."""
    n = len(A)
    A = [list(r) for r in A]
    tol = Decimal(10) ** (-(EIG_PREC - 20))
    one, two = Decimal(1), Decimal(2)
    for _sweep in range(100):
        rotated = False
        for p in range(n - 1):
            for q in range(p + 1, n):
                apq = A[p][q]
                if apq == 0:
                    continue
                app, aqq = A[p][p], A[q][q]
                if abs(apq) <= tol * (abs(app * aqq)).sqrt():
                    A[p][q] = A[q][p] = Decimal(0)
                    continue
                rotated = True
                theta = (aqq - app) / (two * apq)
                t = one / (abs(theta) + (theta * theta + one).sqrt())
                if theta < 0:
                    t = -t
                c = one / (t * t + one).sqrt()
                s = t * c
                for k in range(n):
                    if k != p and k != q:
                        akp, akq = A[k][p], A[k][q]
                        A[k][p] = A[p][k] = c * akp - s * akq
                        A[k][q] = A[q][k] = s * akp + c * akq
                A[p][p] = app - t * apq
                A[q][q] = aqq + t * apq
                A[p][q] = A[q][p] = Decimal(0)
        if not rotated:
            break
    else:
        raise RuntimeError("Jacobi did not converge")
    return sorted(A[i][i] for i in range(n))


def kappa_of(G, Ginv, scale=False):
    """2-norm condition number of X from its exact Gram matrix and inverse;
    with scale, of X with its columns scaled to unit Euclidean norm."""
    p = len(G)
    with localcontext() as ctx:
        ctx.prec = EIG_PREC
        D = [Decimal(1)] * p
        if scale:
            D = [decimal_of(G[j][j], EIG_PREC).sqrt() for j in range(p)]
        A = [[decimal_of(G[j][k], EIG_PREC) / (D[j] * D[k]) for k in range(p)] for j in range(p)]
        B = [[decimal_of(Ginv[j][k], EIG_PREC) * (D[j] * D[k]) for k in range(p)] for j in range(p)]
        ev = jacobi_eigenvalues(A)
        evi = jacobi_eigenvalues(B)
        lmax = ev[-1]
        lmin = 1 / evi[-1]
        # consistency of the two computations
        assert abs(ev[0] - lmin) <= lmin * Decimal(10) ** -40, (ev[0], lmin)
        assert abs(1 / evi[0] - lmax) <= lmax * Decimal(10) ** -40
        return (lmax / lmin).sqrt()


def condition_numbers(res, intercept, n_cols):
    """kappa(X) raw, unit-norm columns, and centred + unit-norm (intercept)."""
    G, Ginv = res["G"], res["Ginv"]
    out = {
        "kappa_X": kappa_of(G, Ginv),
        "kappa_X_unit_columns": kappa_of(G, Ginv, scale=True),
    }
    if intercept and len(G) > 1:
        # Gram of the centred non-intercept columns: G_jk - S_j S_k / n,
        # S_j = column sum = G[0][j] (column 0 is the ones).
        n = G[0][0]
        idx = range(1, len(G))
        Gc = [[G[j][k] - G[0][j] * G[0][k] / n for k in idx] for j in idx]
        Gci = inverse(Gc)
        # the slope block of (X'X)^-1 is the inverse of the centred Gram
        assert all(Gci[a][b] == Ginv[a + 1][b + 1] for a in range(len(Gc)) for b in range(len(Gc)))
        out["kappa_X_centred_unit_columns"] = kappa_of(Gc, Gci, scale=True)
    return out


def fmt_kappa(k):
    return fmt_sig(round_sig(Fraction(k), 4))


# --------------------------------------------------------------------------
# model matrices
# --------------------------------------------------------------------------

def poly_columns(x, degree, intercept=True):
    cols = []
    if intercept:
        cols.append([Fraction(1)] * len(x))
    for k in range(1, degree + 1):
        cols.append([v ** k for v in x])
    names = (["(Intercept)"] if intercept else []) + ["x"] + ["I(x^%d)" % k for k in range(2, degree + 1)]
    return cols, names


def poly_formula(degree, intercept=True):
    terms = ["x"] + ["I(x^%d)" % k for k in range(2, degree + 1)]
    return "y ~ " + ("" if intercept else "0 + ") + " + ".join(terms)


def read_csv_exact(path):
    with open(path) as f:
        lines = [ln.strip() for ln in f if ln.strip()]
    header = lines[0].split(",")
    rows = [ln.split(",") for ln in lines[1:]]
    for r in rows:
        assert len(r) == len(header), (path, r)
    return header, {h: [Fraction(r[j]) for r in rows] for j, h in enumerate(header)}


# --------------------------------------------------------------------------
# self-check against NIST
# --------------------------------------------------------------------------

# Filip (NIST StRD, 82 observations): (y, x) exactly as printed by NIST.
FILIP = """
0.8116 -6.860120914 0.9072 -4.324130045 0.9052 -4.358625055 0.9039 -4.358426747
0.8053 -6.955852379 0.8377 -6.661145254 0.8667 -6.355462942 0.8809 -6.118102026
0.7975 -7.115148017 0.8162 -6.815308569 0.8515 -6.519993057 0.8766 -6.204119983
0.8885 -5.853871964 0.8859 -6.109523091 0.8959 -5.79832982 0.8913 -5.482672118
0.8959 -5.171791386 0.8971 -4.851705903 0.9021 -4.517126416 0.909 -4.143573228
0.9139 -3.709075441 0.9199 -3.499489089 0.8692 -6.300769497 0.8872 -5.953504836
0.89 -5.642065153 0.891 -5.031376979 0.8977 -4.680685696 0.9035 -4.329846955
0.9078 -3.928486195 0.7675 -8.56735134 0.7705 -8.363211311 0.7713 -8.107682739
0.7736 -7.823908741 0.7775 -7.522878745 0.7841 -7.218819279 0.7971 -6.920818754
0.8329 -6.628932138 0.8641 -6.323946875 0.8804 -5.991399828 0.7668 -8.781464495
0.7633 -8.663140179 0.7678 -8.473531488 0.7697 -8.247337057 0.77 -7.971428747
0.7749 -7.676129393 0.7796 -7.352812702 0.7897 -7.072065318 0.8131 -6.774174009
0.8498 -6.478861916 0.8741 -6.159517513 0.8061 -6.835647144 0.846 -6.53165267
0.8751 -6.224098421 0.8856 -5.910094889 0.8919 -5.598599459 0.8934 -5.290645224
0.894 -4.974284616 0.8957 -4.64454848 0.9047 -4.290560426 0.9129 -3.885055584
0.9209 -3.408378962 0.9219 -3.13200249 0.7739 -8.726767166 0.7681 -8.66695597
0.7665 -8.511026475 0.7703 -8.165388579 0.7702 -7.886056648 0.7761 -7.588043762
0.7809 -7.283412422 0.7961 -6.995678626 0.8253 -6.691862621 0.8602 -6.392544977
0.8809 -6.067374056 0.8301 -6.684029655 0.8664 -6.378719832 0.8834 -6.065855188
0.8898 -5.752272167 0.8964 -5.132414673 0.8963 -4.811352704 0.9074 -4.098269308
0.9119 -3.66174277 0.9228 -3.2644011
"""

FILIP_CERT = {
    "estimates": ["-1467.48961422980", "-2772.17959193342", "-2316.37108160893",
                  "-1127.97394098372", "-354.478233703349", "-75.1242017393757",
                  "-10.8753180355343", "-1.06221498588947", "-0.670191154593408E-01",
                  "-0.246781078275479E-02", "-0.402962525080404E-04"],
    "std_devs": ["298.084530995537", "559.779865474950", "466.477572127796",
                 "227.204274477751", "71.6478660875927", "15.2897178747400",
                 "2.23691159816033", "0.221624321934227", "0.142363763154724E-01",
                 "0.535617408889821E-03", "0.896632837373868E-05"],
    "residual_sd": "0.334801051324544E-02",
    "r_squared": "0.996727416185620",
    "residual_ss": "0.795851382172941E-03",
}

# Wampler 3/4/5 are Wampler1's y plus k*e with this e (k = 1, 100, 10000).
WAMPLER_E = [759, -2048, 2048, -2048, 2523, -2048, 2048, -2048, 1838, -2048, 2048,
             -2048, 1838, -2048, 2048, -2048, 2523, -2048, 2048, -2048, 759]
WAMPLER4_SD = ["215232.624678170", "236355.173469681", "77934.3524331583",
               "10147.5507550350", "564.566512170752", "11.2324854679312"]
WAMPLER5_SD = ["21523262.4678170", "23635517.3469681", "7793435.24331583",
               "1014755.07550350", "56456.6512170752", "1123.24854679312"]


def nist_equal(ours, nist_text):
    """Does our exact value, rounded to NIST's 15 significant digits, equal
    the value NIST prints?"""
    nist = Fraction(nist_text)
    if nist == 0:
        return ours == 0
    return sig_to_fraction(round_sig(ours, 15)) == nist


def nist_equal_sqrt(ours_squared, nist_text):
    """The same for sqrt(ours_squared), rounded once, exactly."""
    nist = Fraction(nist_text)
    if nist == 0:
        return ours_squared == 0
    return sig_to_fraction(sqrt_round_sig(ours_squared, 15)) == nist


def check_against(label, res, cert_est, cert_sd, cert_rsd, cert_r2, cert_rss=None):
    bad = []
    for j, (b, v) in enumerate(zip(res["beta"], res["var"])):
        if not nist_equal(b, cert_est[j]):
            bad.append("estimate %d: ours %s, NIST %s" % (j, fmt_sig(round_sig(b, 15)), cert_est[j]))
        if not nist_equal_sqrt(v, cert_sd[j]):
            bad.append("std_dev %d: ours %s, NIST %s" % (j, fmt_sig(sqrt_round_sig(v, 15)), cert_sd[j]))
    if not nist_equal_sqrt(res["s2"], cert_rsd):
        bad.append("residual sd: ours %s, NIST %s" % (fmt_sig(sqrt_round_sig(res["s2"], 15)), cert_rsd))
    if not nist_equal(res["r2"], cert_r2):
        bad.append("R^2: ours %s, NIST %s" % (fmt_sig(round_sig(res["r2"], 15)), cert_r2))
    if cert_rss is not None and not nist_equal(res["rss"], cert_rss):
        bad.append("RSS: ours %s, NIST %s" % (fmt_sig(round_sig(res["rss"], 15)), cert_rss))
    n_checked = 2 * len(cert_est) + 2 + (cert_rss is not None)
    if bad:
        print("SELF-CHECK FAILED for %s:\n  %s" % (label, "\n  ".join(bad)), file=sys.stderr)
        sys.exit(1)
    return n_checked


def self_check():
    """Reproduce NIST's certified values with the oracle code."""
    report = []
    with open(os.path.join(NIST_DIR, "certified.json")) as f:
        nist = json.load(f)["datasets"]
    for name in ["Norris", "Pontius", "NoInt1", "Longley", "Wampler1", "Wampler3"]:
        d = nist[name]
        _, data = read_csv_exact(os.path.join(NIST_DIR, d["csv"]))
        y = data["y"]
        if len(d["predictors"]) == 1 and d["polynomial_degree"] >= 1:
            cols, _ = poly_columns(data[d["predictors"][0]], d["polynomial_degree"], d["intercept"])
        else:
            cols = ([[Fraction(1)] * len(y)] if d["intercept"] else []) + [data[c] for c in d["predictors"]]
        res = fit_exact(cols, y, d["intercept"])
        c = d["certified"]
        k = check_against(name, res, [q["estimate"] for q in c["parameters"]],
                          [q["std_dev"] for q in c["parameters"]], c["residual_sd"],
                          c["r_squared"], c["anova"]["residual"]["ss"])
        report.append((name, k))

    # embedded sets
    t = FILIP.split()
    fy, fx = [Fraction(v) for v in t[0::2]], [Fraction(v) for v in t[1::2]]
    assert len(fx) == 82
    cols, _ = poly_columns(fx, 10)
    res = fit_exact(cols, fy, True)
    k = check_against("Filip", res, FILIP_CERT["estimates"], FILIP_CERT["std_devs"],
                      FILIP_CERT["residual_sd"], FILIP_CERT["r_squared"], FILIP_CERT["residual_ss"])
    report.append(("Filip", k))
    filip_kappa = condition_numbers(res, True, 11)

    res = fit_exact([[Fraction(4), Fraction(5), Fraction(6)]], [Fraction(3), Fraction(4), Fraction(4)], False)
    k = check_against("NoInt2", res, ["0.727272727272727"], ["0.420827318078432E-01"],
                      "0.369274472937998", "0.993348115299335", "0.272727272727273")
    report.append(("NoInt2", k))

    x = [Fraction(i) for i in range(21)]
    cols, _ = poly_columns(x, 5)
    y1 = [sum(v ** k for k in range(6)) for v in x]
    y2 = [sum(Fraction(1, 10 ** k) * v ** k for k in range(6)) for v in x]
    # Wampler2's y as NIST prints it (exact decimals with at most 7 digits)
    assert [exact_decimal_string(v) for v in y2[:3]] == ["1", "1.11111", "1.24992"]
    res = fit_exact(cols, y2, True)
    k = check_against("Wampler2", res,
                      ["1.00000000000000", "0.100000000000000", "0.100000000000000E-01",
                       "0.100000000000000E-02", "0.100000000000000E-03", "0.100000000000000E-04"],
                      ["0"] * 6, "0", "1.00000000000000", "0")
    report.append(("Wampler2", k))
    # Wampler4 and 5: Wampler1's y plus scale times NIST's error column
    for name, scale, head, sd, certified in (
            ("Wampler4", 100, [75901, -204794, 204863], WAMPLER4_SD,
             ("236014.502379268", "0.957478440825662", "835542680000.000")),
            ("Wampler5", 10000, [7590001, -20479994, 20480063], WAMPLER5_SD,
             ("23601450.2379268", "0.224668921574940E-02", "8355426800000000.00"))):
        y = [a + scale * e for a, e in zip(y1, WAMPLER_E)]
        assert y[:3] == head
        k = check_against(name, fit_exact(cols, y, True), ["1.00000000000000"] * 6, sd,
                          *certified)
        report.append((name, k))
    return report, filip_kappa


# --------------------------------------------------------------------------
# the cases
# --------------------------------------------------------------------------

def approx_normal_int(rng, m):
    """Irwin-Hall: sum of 12 integer uniforms on 0..m-1, centred; an integer
    (or half-integer, hence returned as a Fraction) with sd ~ m."""
    s = sum(rng.randrange(m) for _ in range(12))
    return Fraction(2 * s - 12 * (m - 1), 2)


def stratified_decimals(rng, lo, hi, n, scale):
    """n exact decimals k/scale, one uniformly in each of n equal strata of
    [lo, hi] (lo, hi Fractions), shuffled."""
    a, b = int(lo * scale), int(hi * scale)
    assert Fraction(a, scale) == lo and Fraction(b, scale) == hi
    out = []
    for i in range(n):
        s0 = a + (b - a) * i // n
        s1 = a + (b - a) * (i + 1) // n
        out.append(Fraction(rng.randrange(s0, s1 + 1), scale))
    assert all(lo <= v <= hi for v in out)
    rng.shuffle(out)
    return out


def poly_eval(coefs, x):
    r = Fraction(0)
    for c in reversed(coefs):
        r = r * x + c
    return r


def expand_shifted(coefs_t, x0):
    """Coefficients in powers of x of sum_k c_k (x - x0)^k, exactly."""
    out = [Fraction(0)] * len(coefs_t)
    for k, c in enumerate(coefs_t):
        for j in range(k + 1):
            out[j] += c * math.comb(k, j) * Fraction(-x0) ** (k - j)
    return out


# Filip's certified estimates rounded to 10 significant digits.
FILIP_LIKE_COEFS = ["-1467.489614", "-2772.179592", "-2316.371082", "-1127.973941",
                    "-354.4782337", "-75.12420174", "-10.87531804", "-1.062214986",
                    "-0.06701911546", "-0.002467810783", "-0.00004029625251"]


def case_filip_like():
    rng = random.Random(20240501)
    x = stratified_decimals(rng, Fraction(-9), Fraction(-3), 82, 10 ** 9)   # 10 significant digits
    coefs = [Fraction(c) for c in FILIP_LIKE_COEFS]
    z = [approx_normal_int(rng, 10 ** 6) for _ in x]
    k = noise_scale(z, poly_columns(x, 10)[0], "0.00335")
    y = [round_to_sig_fraction(poly_eval(coefs, v) + k * e, 10) for v, e in zip(x, z)]
    return {
        "about": "Filip-like: degree-10 polynomial in x, 82 observations, x in [-9, -3] with 10 significant "
                 "digits; y = Filip's certified polynomial (coefficients rounded to 10 significant digits) "
                 "+ noise (a random pattern scaled so that the residual sd is about 0.00335, like Filip's "
                 "0.003348), rounded to 10 significant digits.",
        "columns": {"y": y, "x": x}, "degree": 10, "intercept": True,
    }


def case_wampler2_like():
    x = [Fraction(i) for i in range(21)]
    y = [sum(Fraction(1, 10 ** k) * v ** k for k in range(6)) for v in x]
    return {
        "about": "Wampler2-like (the same data as NIST Wampler2): y = 1 + 0.1x + 0.01x^2 + 0.001x^3 + 0.0001x^4 "
                 "+ 0.00001x^5 exactly for x = 0..20, degree-5 fit; exact fit, estimates exactly "
                 "1, 0.1, 0.01, 0.001, 0.0001, 0.00001, residual sd 0.",
        "columns": {"y": y, "x": x}, "degree": 5, "intercept": True,
    }


def wampler_noise_base():
    rng = random.Random(19700601)
    return [approx_normal_int(rng, 10 ** 6) * 2 for _ in range(21)]   # integers, sd ~ 2e6


def noise_scale(z, cols, target_sd):
    """An exact rational k ~ target_sd / (residual sd of z regressed on cols):
    since the noise-free part of y lies in the column space, noise k*z gives a
    residual sd of about target_sd.  No floats."""
    s2 = fit_exact(cols, z, True)["s2"]
    v = s2 * 10 ** 40
    root = math.isqrt(v.numerator // v.denominator)   # ~ sqrt(s2) * 1e20
    return Fraction(target_sd) * 10 ** 20 / root


def case_wampler_noisy(target_sd, about_name):
    """y = 1 + x + ... + x^5 + integer noise scaled so the residual sd is
    close to target_sd (same random pattern for every target)."""
    x = [Fraction(i) for i in range(21)]
    cols, _ = poly_columns(x, 5)
    z = wampler_noise_base()
    k = noise_scale(z, cols, target_sd)
    noise = [round(v * k) for v in z]
    y = [sum(v ** j for j in range(6)) + e for v, e in zip(x, noise)]
    return {
        "about": "%s: y = 1 + x + x^2 + x^3 + x^4 + x^5 + integer noise (a fixed random pattern scaled so that "
                 "the residual sd is about %s), x = 0..20, degree-5 fit." % (about_name, target_sd),
        "columns": {"y": [Fraction(v) for v in y], "x": x}, "degree": 5, "intercept": True,
    }


def case_noint2_like():
    x = [Fraction(v) for v in (5, 7, 8)]
    y = [Fraction(v) for v in (4, 5, 6)]
    return {
        "about": "NoInt2-like: no intercept, y ~ 0 + x, n = 3, small integers (x = 5, 7, 8; y = 4, 5, 6); "
                 "R^2 about zero as NIST does.",
        "columns": {"y": y, "x": x}, "degree": 1, "intercept": False,
    }


def case_filip_shifted():
    rng = random.Random(20240502)
    x = stratified_decimals(rng, Fraction("1000.5"), Fraction("1001.5"), 82, 10 ** 6)  # 10 significant digits
    ct = [Fraction(s) for s in ("0.85", "0.3", "-1.2", "0.5", "2")]     # in t = x - 1001
    z = [approx_normal_int(rng, 10 ** 6) for _ in x]
    k = noise_scale(z, poly_columns(x, 4)[0], "0.00335")
    y = [round_to_sig_fraction(poly_eval(ct, v - 1001) + k * e, 10) for v, e in zip(x, z)]
    cx = expand_shifted(ct, 1001)
    return {
        "about": "Large offset: x in [1000.5, 1001.5] with 10 significant digits, 82 observations, "
                 "y = 0.85 + 0.3t - 1.2t^2 + 0.5t^3 + 2t^4 with t = x - 1001 (in powers of x: %s) + noise "
                 "(residual sd about 0.00335), rounded to 10 significant digits; fit in raw powers of x up to x^4."
                 % ", ".join(exact_decimal_string(c) for c in cx),
        "columns": {"y": y, "x": x}, "degree": 4, "intercept": True,
    }


def case_longley_scaled(power):
    _, data = read_csv_exact(os.path.join(NIST_DIR, "Longley.csv"))
    f = pow10(power)
    cols = {"y": data["y"]}
    for j in range(1, 7):
        cols["x%d" % j] = [v * f for v in data["x%d" % j]]
    return {
        "about": "NIST Longley with every x column multiplied by 1e%d exactly (written in exponent "
                 "notation); y unchanged. Slopes and their std devs are Longley's times 1e%d; "
                 "intercept, residual sd and R^2 are Longley's." % (power, -power),
        "columns": cols, "predictors": ["x%d" % j for j in range(1, 7)], "intercept": True,
        "sci": True, "longley_power": power,
    }


def write_csv(path, columns, sci_cols=()):
    names = list(columns)
    n = len(columns[names[0]])
    with open(path, "w", newline="\n") as f:
        f.write(",".join(names) + "\n")
        for i in range(n):
            fields = []
            for h in names:
                s = exact_decimal_string(columns[h][i], sci=(h in sci_cols))
                assert sig_digits_of_text(s) <= MAX_DATA_DIGITS
                fields.append(s)
            f.write(",".join(fields) + "\n")


def main():
    nist_report, filip_kappa = self_check()
    print("Self-check against NIST certified values (15 significant digits):")
    for name, k in nist_report:
        print("  %-9s %2d values reproduced" % (name, k))
    print("  real Filip: kappa(X) = %s, unit columns %s, centred+unit %s" % (
        fmt_kappa(filip_kappa["kappa_X"]), fmt_kappa(filip_kappa["kappa_X_unit_columns"]),
        fmt_kappa(filip_kappa["kappa_X_centred_unit_columns"])))

    cases = [
        ("filip_like", case_filip_like()),
        ("wampler2_like", case_wampler2_like()),
        ("wampler4_like", case_wampler_noisy(236000, "Wampler4-like")),
        ("wampler5_like", case_wampler_noisy(23600000, "Wampler5-like (NIST Wampler5's residual sd is 2.36e7)")),
        ("wampler5_noisier", case_wampler_noisy(236000000, "Wampler5 with ten times its noise")),
        ("noint2_like", case_noint2_like()),
        ("filip_shifted", case_filip_shifted()),
        ("longley_scaled_big", case_longley_scaled(150)),
        ("longley_scaled_small", case_longley_scaled(-150)),
    ]

    os.makedirs(OUT_DIR, exist_ok=True)
    longley_ref = None
    out = {
        "_about": "Exact-rational certified values (tests/reference/gen_rational_oracle.py). The CSV text is "
                  "the data: every field is an exact decimal read as an exact rational. Estimates, std devs, "
                  "residual sd, residual sum of squares and R^2 are the exact least-squares values correctly "
                  "rounded (half to even) to 30 significant digits, written d.ddd...e+XX; an exact zero is "
                  "\"0\". R^2 is about the mean with an intercept, about zero without (as NIST). Condition "
                  "numbers (4 digits) are 2-norm kappa of the model matrix X: raw, with unit-norm columns, and "
                  "with the non-intercept columns centred then scaled to unit norm.",
        "datasets": {},
    }
    print()
    print("%-21s %3s %3s %11s %11s %11s  %s" % ("case", "n", "p", "kappa(X)", "unit cols", "centred", "residual sd"))
    for name, c in cases:
        csv_name = name + ".csv"
        path = os.path.join(OUT_DIR, csv_name)
        sci_cols = [h for h in c["columns"] if h != "y"] if c.get("sci") else []
        write_csv(path, c["columns"], sci_cols)
        # the oracle works from the text just written
        header, data = read_csv_exact(path)
        y = data["y"]
        if "degree" in c:
            cols, names = poly_columns(data["x"], c["degree"], c["intercept"])
            formula = poly_formula(c["degree"], c["intercept"])
        else:
            cols = [[Fraction(1)] * len(y)] + [data[h] for h in c["predictors"]]
            names = ["(Intercept)"] + c["predictors"]
            formula = "y ~ " + " + ".join(c["predictors"])
        res = fit_exact(cols, y, c["intercept"])
        kap = condition_numbers(res, c["intercept"], len(cols))
        if "longley_power" in c:
            # consistency: scaled Longley = Longley with slopes times 10^-power
            if longley_ref is None:
                _, d0 = read_csv_exact(os.path.join(NIST_DIR, "Longley.csv"))
                longley_ref = fit_exact([[Fraction(1)] * len(y)] + [d0["x%d" % j] for j in range(1, 7)],
                                        d0["y"], True)
            f = pow10(-c["longley_power"])
            assert res["beta"][0] == longley_ref["beta"][0] and res["rss"] == longley_ref["rss"]
            assert all(res["beta"][j] == longley_ref["beta"][j] * f for j in range(1, 7))
            assert all(res["var"][j] == longley_ref["var"][j] * f * f for j in range(1, 7))
        entry = {
            "csv": csv_name,
            "about": c["about"],
            "formula": formula,
            "n": res["n"],
            "p": res["p"],
            "intercept": c["intercept"],
            "df_residual": res["df"],
            "parameters": [{"name": nm, "estimate": cert(b), "std_dev": cert_sqrt(v)}
                           for nm, b, v in zip(names, res["beta"], res["var"])],
            "residual_sd": cert_sqrt(res["s2"]),
            "residual_ss": cert(res["rss"]),
            "r_squared": cert(res["r2"]),
            "condition": {k: fmt_kappa(v) for k, v in kap.items()},
        }
        out["datasets"][name] = entry
        print("%-21s %3d %3d %11s %11s %11s  %s" % (
            name, res["n"], res["p"], fmt_kappa(kap["kappa_X"]), fmt_kappa(kap["kappa_X_unit_columns"]),
            fmt_kappa(kap["kappa_X_centred_unit_columns"]) if "kappa_X_centred_unit_columns" in kap else "-",
            fmt_sig(sqrt_round_sig(res["s2"], 6))))

    with open(os.path.join(OUT_DIR, "certified.json"), "w", newline="\n") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("\nwrote %s and %d CSV files" % (os.path.relpath(os.path.join(OUT_DIR, "certified.json"), ROOT), len(cases)))


if __name__ == "__main__":
    main()
