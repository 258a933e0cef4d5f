"""The paper's verification experiment: families W_n = I + A/n^p, b_n = c/n^q, certified and measured.

Question: for which exponents p (and bias exponents q) does the depth-n network
N_n(x) converge as n -> inf, what does exactrelu certify about it, and how do
the measured successive differences ||N_n(x) - N_{n-1}(x)|| compare with the
certified tail bounds?

Two kinds of numbers, never mixed:

* CERTIFIED (exact): ``exactrelu.certify`` returns a certificate re-checked by
  ``exactrelu.check``; its verdict, theorem and the tail bounds
  ``cert.tail_bound(n, radius=1)`` are exact rationals (shown rounded UP).
* MEASURED (float64): the successive differences are computed by a numpy
  float64 forward pass (the exact layers of depth 10^4 have huge rationals);
  before use, the float layers are compared with the family's exact layers
  and the float forward pass with exact evaluation at depth 12.

Width 3, inputs with ||x||_inf <= 1 (the 8 corners of the cube and random
points), max-row-sum / max norms throughout.  n^(-1/2) and n^(-3/2) are
irrational, which exactrelu's exact families refuse (verdict "inconclusive");
so p = 1/2 and 3/2 also appear as rational stand-ins with the same order,
c_n = binomial(2n, n)/4^n ~ 1/sqrt(pi n) (p = 1/2) and c_n/n (p = 3/2).

Run:  python examples/paper/verification.py [--fast] [--out DIR]
Requires: matplotlib
"""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import sympy as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Timer, environment, fmt, jfloat, markdown_table, parser, publish, r4, save_png, up  # noqa: E402

from exactrelu import Family, certify, check, n  # noqa: E402

A_POS = [[1, 2, 0], [0, 1, 1], [1, 0, 1]]    # entrywise >= 0, Perron root 1 + 2^(1/3)
A_MIX = [[1, -2, 0], [0, -1, 1], [1, 0, -1]]  # mixed signs
C_POS = [1, 1, 1]
C_NEG = [-1, -1, -1]
RADIUS = 1
CB = sp.binomial(2 * n, n) / 4**n  # rational, ~ 1/sqrt(pi n)


def specs() -> list:
    """The families: (key, p label, A name, scale kind, bias c, q)."""
    out = []
    for aname in ("A+", "A±"):
        for p, kind in (("1/2", "pow"), ("1/2", "cb"), ("1", "pow"), ("3/2", "pow"), ("3/2", "cb"), ("2", "pow")):
            out.append(dict(p=p, A=aname, scale=kind, c=C_POS, q=2))
    out.append(dict(p="2", A="A+", scale="pow", c=C_POS, q=1))
    out.append(dict(p="2", A="A+", scale="pow", c=C_NEG, q=1))
    for s in out:
        stand = "c_n" if s["p"] == "1/2" else "c_n/n"
        wtxt = f"{stand} (stand-in for n^-{s['p']})" if s["scale"] == "cb" else f"1/n^{s['p']}"
        sgn = "+1" if s["c"][0] > 0 else "-1"
        s["key"] = f"p{s['p'].replace('/', '_')}{'_cb' if s['scale'] == 'cb' else ''}_{'pos' if s['A'] == 'A+' else 'mix'}_q{s['q']}_c{'pos' if s['c'][0] > 0 else 'neg'}"
        s["label"] = f"W_n = I + {s['A']}·{wtxt}, b_n = ({sgn})·1/n^{s['q']}"
    return out


def w_scale_expr(s: dict) -> sp.Expr:
    p = sp.Rational(s["p"])
    if s["scale"] == "cb":
        return CB if p == sp.Rational(1, 2) else CB / n
    return n ** (-p)


def family(s: dict) -> Family:
    A = sp.Matrix(A_POS if s["A"] == "A+" else A_MIX)
    return Family(sp.eye(3) + A * w_scale_expr(s), sp.Matrix(s["c"]) / n ** s["q"])


def float_scales(s: dict, nmax: int) -> tuple:
    """float64 arrays w[k], t[k] (k = 1..nmax; index 0 unused) with W_k = I + A w[k], b_k = c t[k]."""
    k = np.arange(1, nmax + 1, dtype=np.float64)
    if s["scale"] == "cb":
        cb = np.empty(nmax)
        cb[0] = 0.5
        cb[1:] = 0.5 * np.cumprod((2 * k[:-1] + 1) / (2 * k[:-1] + 2))  # c_{k+1} = c_k (2k+1)/(2k+2)
        w = cb if s["p"] == "1/2" else cb / k
    else:
        w = k ** (-float(Fraction(s["p"])))
    t = k ** (-float(s["q"]))
    return np.concatenate([[np.nan], w]), np.concatenate([[np.nan], t])


def check_float_layers(s: dict, fam: Family, w: np.ndarray, t: np.ndarray) -> float:
    """Largest relative difference between the float layers and the family's exact layers (rational families)."""
    A = np.array(A_POS if s["A"] == "A+" else A_MIX, dtype=float)
    worst = 0.0
    for k in list(range(1, 13)) + [997, len(w) - 1]:
        Wk, bk = fam.layer(k)
        We = np.array([[float(v) for v in row] for row in Wk])
        be = np.array([float(v) for v in bk])
        Wf, bf = np.eye(3) + A * w[k], np.array(s["c"], dtype=float) * t[k]
        worst = max(worst, float(np.max(np.abs(We - Wf) / np.maximum(1, np.abs(We)))),
                    float(np.max(np.abs(be - bf) / np.maximum(1, np.abs(be)))))
    return worst


def sample_points(count: int, seed: int = 0) -> np.ndarray:
    corners = np.array([[a, b, c] for a in (-1, 1) for b in (-1, 1) for c in (-1, 1)], dtype=float)
    rng = np.random.default_rng(seed)
    return np.concatenate([corners, rng.uniform(-1, 1, size=(count, 3))])


def forward(s: dict, X: np.ndarray, w: np.ndarray, t: np.ndarray, nmax: int, keep: tuple) -> tuple:
    """MEASURED (float64): diff[k] = max_x ||N_k(x) - N_{k-1}(x)||_inf and the states at the depths in ``keep``."""
    A = np.array(A_POS if s["A"] == "A+" else A_MIX, dtype=float)
    c = np.array(s["c"], dtype=float)
    y = X.copy()
    diff = np.full(nmax + 1, np.nan)
    norm = np.full(nmax + 1, np.nan)
    norm[0] = np.max(np.abs(y))
    states = {0: y.copy()}
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, nmax + 1):
            W = np.eye(3) + A * w[k]
            y_new = np.maximum(y @ W.T + c * t[k], 0.0)
            diff[k] = np.max(np.abs(y_new - y))
            norm[k] = np.max(np.abs(y_new))
            y = y_new
            if k in keep:
                states[k] = y.copy()
    return diff, norm, states


def exact_forward_check(fam: Family, X: np.ndarray, w, t, s) -> float:
    """Relative difference between exact evaluation of N_12 and the float forward pass, on 4 points."""
    net = fam.truncate(12)
    pts = X[:4]
    _, _, states = forward(s, pts, w, t, 12, keep=(12,))
    worst = 0.0
    for x, yf in zip(pts, states[12]):
        ye = net([Fraction(float(v)) for v in x])  # the float point, read exactly
        worst = max(worst, max(abs(float(a) - b) / max(1.0, abs(float(a))) for a, b in zip(ye, yf)))
    return worst


def in_scope(cert, fam: Family, X: np.ndarray) -> np.ndarray:
    """Which sample points the divergence certificate speaks about (decided exactly)."""
    kind = cert.scope.get("kind")
    if kind == "everywhere":
        return np.ones(len(X), dtype=bool)
    u, K = cert.witnesses.get("u"), cert.witnesses.get("K")
    if kind == "set" and u is not None and K is not None:
        net = fam.truncate(K)
        ok = []
        for x in X:
            y = net([Fraction(float(v)) for v in x])
            ok.append(sum(a * b for a, b in zip(u, y)) > 0)
        return np.array(ok)
    return np.zeros(len(X), dtype=bool)


def run(fast: bool, out: Path) -> dict:
    timer = Timer()
    depths = (10, 100, 1000) if fast else (10, 100, 1000, 10_000)
    nmax = depths[-1]
    X = sample_points(24 if fast else 248)
    grid = sorted(set(np.unique(np.logspace(0, np.log10(nmax), 60).astype(int)).tolist()) | set(depths))
    results = []
    (out / "certificates").mkdir(parents=True, exist_ok=True)
    for s in specs():
        fam = family(s)
        cert = certify(fam, radius=RADIUS)
        if cert.verdict != "inconclusive":
            assert check(cert) is True  # re-derived by the independent checker
        cert.to_json(out / "certificates" / f"{s['key']}.json")
        w, t = float_scales(s, nmax)
        rational = not fam.issues()
        layer_err = check_float_layers(s, fam, w, t) if rational else None
        fwd_err = exact_forward_check(fam, X, w, t, s) if rational else None
        if rational:
            assert layer_err < 1e-12 and fwd_err < 1e-9, (s["key"], layer_err, fwd_err)
        diff, norm, states = forward(s, X, w, t, nmax, keep=set(depths) | {d - 1 for d in depths})
        row = dict(key=s["key"], label=s["label"], p=s["p"], A=s["A"], q=s["q"], c=s["c"],
                   stand_in=s["scale"] == "cb", family=fam.to_json(),
                   verdict=cert.verdict, theorem=cert.theorem, scope=cert.scope_text(),
                   necessary_T5=cert.necessary.get("holds"),
                   reasons=list(cert.reasons) if cert.verdict == "inconclusive" else [],
                   float_layer_check=layer_err, float_forward_check=fwd_err, depths={})
        scope = in_scope(cert, fam, X) if cert.verdict == "diverges" else None
        for d in depths:
            m = dict(measured_diff=jfloat(diff[d]),
                     measured_max_norm=jfloat(np.max(np.abs(states[d]))))
            if scope is not None and scope.any():
                m["measured_max_norm_in_scope"] = jfloat(np.max(np.abs(states[d][scope])))
            if cert.verdict == "converges":
                T_prev, T_d = cert.tail_bound(d - 1, radius=RADIUS), cert.tail_bound(d, radius=RADIUS)
                m["tail_bound"] = str(T_d)  # exact: ||N_inf(x) - N_d(x)|| <= T(d) for ||x|| <= 1
                m["tail_bound_up"] = up(T_d)
                # ||N_d - N_{d-1}|| <= ||N_inf - N_{d-1}|| + ||N_inf - N_d|| <= T(d-1) + T(d)
                m["diff_bound"] = str(T_prev + T_d)
                m["diff_bound_up"] = up(T_prev + T_d)
                assert diff[d] <= float(T_prev + T_d), (s["key"], d, diff[d], float(T_prev + T_d))
                m["measured_over_bound"] = jfloat(diff[d] / float(T_prev + T_d))
            row["depths"][str(d)] = m
        if cert.verdict == "converges":
            # exact bounds, rounded UP to 4 significant digits for the figure
            row["curve_bound"] = [[g, float(up(cert.tail_bound(g - 1, radius=RADIUS) + cert.tail_bound(g, radius=RADIUS), 4))]
                                  for g in grid]
            # the limit is approached: the measured differences at the last depth are below the first
            assert diff[nmax] < diff[depths[0]]
        if cert.verdict == "diverges":
            # u^T y_n -> inf on the certificate's scope: the states in scope grow
            norms = [row["depths"][str(d)].get("measured_max_norm_in_scope") for d in depths]
            assert scope.any(), s['key']
            finite = [v for v in norms if isinstance(v, float)]
            assert finite == sorted(finite) and (len(finite) < len(norms) or finite[-1] > finite[0]), (s["key"], norms)
        row["curve"] = [[g, r4(diff[g])] for g in grid]  # measured, 4 significant digits
        row["curve_norm"] = [[g, r4(norm[g])] for g in grid]
        results.append(row)
        print(f"{s['key']:28s} {cert.verdict:12s} {cert.theorem or '-':5s} "
              + "  ".join(f"n={d}: {fmt(diff[d])}" + (f" <= {row['depths'][str(d)]['diff_bound_up']}" if cert.verdict == "converges" else "")
                          for d in depths))
    data = dict(experiment="verification", mode="fast" if fast else "full", radius=RADIUS, depths=list(depths),
                sample_points=len(X), A_plus=A_POS, A_mixed=A_MIX, environment=environment(), families=results)
    publish(out, "verification", data, markdown, figures, timer)
    return data


def verdict_text(r: dict) -> str:
    if r["verdict"] == "inconclusive":
        why = "irrational entries (exact families need rational values)" if "irrational" in " ".join(r["reasons"]) else "no rule applies"
        return f"inconclusive: {why}"
    return f"{r['verdict']} ({r['theorem']}; {r['scope'].split(', where')[0]})"


def markdown(data: dict) -> str:
    depths = data["depths"]
    head = (["family", "certificate (exact)"] + [f"n = {d}: measured diff / certified bound" for d in depths]
            + [f"max_x ‖N_{depths[-1]}(x)‖ (measured)"])
    rows = []
    for r in data["families"]:
        cells = []
        for d in depths:
            m = r["depths"][str(d)]
            cell = fmt(m["measured_diff"]) if isinstance(m["measured_diff"], float) else str(m["measured_diff"])
            if "diff_bound_up" in m:
                cell += f" / ≤ {m['diff_bound_up']}"
            cells.append(cell)
        last = r["depths"][str(depths[-1])]["measured_max_norm"]
        rows.append([r["label"].replace("W_n = ", "").replace(", b_n = ", "; b: "), verdict_text(r)] + cells
                    + [fmt(last) if isinstance(last, float) else str(last)])
    text = [f"# Verification ({data['mode']} run, {data['runtime_s']} s)\n",
            "Width 3, A+ = " + str(data["A_plus"]) + ", A± = " + str(data["A_mixed"]) + "; c_n = binomial(2n, n)/4^n ~ 1/sqrt(pi n).",
            f"Measured (float64): max over {data['sample_points']} points with ||x||_inf <= {data['radius']} of ||N_n(x) - N_(n-1)(x)||_inf.",
            "Certified (exact, rounded up): T(n-1) + T(n) >= ||N_n(x) - N_(n-1)(x)||, where T(d) = cert.tail_bound(d, radius=1) bounds ||N_inf(x) - N_d(x)||.\n",
            markdown_table(head, rows)]
    return "\n".join(text)


def figures(data: dict, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fams = {r["key"]: r for r in data["families"]}
    main = [r for r in data["families"] if r["q"] == 2]
    ps = ["1/2", "1", "3/2", "2"]
    fig, axes = plt.subplots(2, 4, figsize=(14, 6.4), sharex=True)
    for i, A in enumerate(("A+", "A±")):
        for j, p in enumerate(ps):
            ax = axes[i, j]
            for r in [r for r in main if r["A"] == A and r["p"] == p]:
                _plot_family(ax, r)
            ax.set_title(f"W_n = I + {A}/n^{p}, b_n = c/n^2", fontsize=9)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.grid(True, which="major", alpha=0.3)
            ax.legend(fontsize=6.5, loc="best")
            if i == 1:
                ax.set_xlabel("depth n")
            if j == 0:
                ax.set_ylabel("max_x ||N_n(x) - N_(n-1)(x)||")
    fig.suptitle("Successive differences (measured, float64) and certified bounds (exact T4 tail bounds), ||x|| <= 1", fontsize=10)
    fig.tight_layout()
    save_png(fig, out / "verification.png")
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(8.5, 3.4))
    for ax, key in zip(axes, ("p2_pos_q1_cpos", "p2_pos_q1_cneg")):
        r = fams[key]
        _plot_family(ax, r)
        g = np.array([c[0] for c in r["curve_norm"]], dtype=float)
        v = np.array([c[1] for c in r["curve_norm"]], dtype=float)
        ax.plot(g[v > 0], v[v > 0], "-.", color="gray", lw=1.4, label="measured max_x ||N_n(x)||")
        ax.set_title(r["label"].replace("(stand-in for", "("), fontsize=8)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("depth n")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    axes[0].set_ylabel("max_x ||N_n(x) - N_(n-1)(x)||")
    fig.suptitle("Non-summable biases b_n = ±(1,1,1)/n (W_n = I + A+/n^2): differences -> 0 in both", fontsize=10)
    fig.tight_layout()
    save_png(fig, out / "verification_bias.png")
    plt.close(fig)


def _plot_family(ax, r: dict) -> None:
    g = np.array([c[0] for c in r["curve"]], dtype=float)
    v = np.array([c[1] if isinstance(c[1], float) else np.inf for c in r["curve"]], dtype=float)
    ok = np.isfinite(v) & (v > 0)
    style = "--" if r["stand_in"] else "-"
    name = "c_n stand-in" if r["stand_in"] else "literal"
    verdict = r["verdict"] if r["verdict"] == "inconclusive" else f"{r['verdict']} {r['theorem']}"
    line = ax.plot(g[ok], v[ok], style, lw=1.6, label=f"{name}: measured ({verdict})")[0]
    zero = np.where(v == 0)[0]
    if len(zero):
        ax.annotate(f"diff = 0 from n = {int(g[zero[0]])}", xy=(0.05, 0.05), xycoords="axes fraction", fontsize=7)
    if not np.isfinite(v).all():
        ax.annotate("float64 overflow", xy=(0.05, 0.9), xycoords="axes fraction", fontsize=7)
    if "curve_bound" in r:
        b = np.array(r["curve_bound"], dtype=float)
        ax.plot(b[:, 0], b[:, 1], ":", color=line.get_color(), lw=1.8, label=f"{name}: certified T(n-1)+T(n)")


def main(argv=None) -> None:
    args = parser(__doc__.splitlines()[0]).parse_args(argv)
    run(args.fast, args.out)


if __name__ == "__main__":
    main()
