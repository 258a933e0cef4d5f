"""The paper's initialization experiment: deep ReLU nets on scikit-learn's digits, three initializations.

Question: does initializing the hidden layers so that the sufficient condition
holds (W_n = I + E_n, ||E_n|| <= c/n^2, ||b_n|| <= c/n^2: the depth-n networks
converge as n -> inf) train better than He initialization or identity plus
Gaussian noise, and how does the output at initialization behave with depth?

Model: x (64 pixels / 16) -> ReLU(W_in x + b_in) (32) -> L hidden layers
y_n = ReLU(W_n y_{n-1} + b_n) (32 x 32, n = 1..L) -> W_out y_L + b_out (10).
Only the L hidden layers differ between the schemes (same seed: same input
and output layers):

* he:              W_n ~ N(0, 2/32), b_n = 0;
* identity+noise:  W_n = I + N(0, 0.02^2), b_n = 0;
* sufficient c/n^2: W_n = I + E_n, b_n = e_n, with E_n, e_n Gaussian scaled so
  that ||E_n||_inf = ||e_n||_inf = (1 - 2^-8) c/n^2, c = 1.

What is CERTIFIED (exact, exactrelu): the width-1 envelope family
W(n) = 1 + c/n^2, b(n) = c/n^2 converges by T4, with exact witnesses
P >= prod(1 + c/k^2), B >= sum c/k^2 and tail sums of c/n^2.  T4's hypotheses
and its bound involve the layers only through ||W_n - I|| and ||b_n||, so the
same bound holds for EVERY sequence of layers (any width) with
||W_n - I|| <= c/n^2 and ||b_n|| <= c/n^2.  The script checks exactly (with
the float32 weights read as the rationals they are) that every initialized
layer satisfies these inequalities, and computes exactly a radius R with
||ReLU(W_in x + b_in)||_inf <= R on the whole input cube [0, 1]^64.  Hence,
for any continuation of the initialization to infinite depth satisfying the
same norm bounds (e.g. continuing the random draws), ||N_inf(x) - N_L(x)|| <=
cert.tail_bound(L, radius=R).  NOT certified: anything after training (the
trained weights are measured, not certified), the He and identity+noise
schemes (their ||W_n - I|| does not decay: no certificate), and the float32
forward pass (measured).

MEASURED (float32, torch, CPU): training losses, test accuracies, and the
depth sweep of the output at initialization.

Run:  python examples/paper/initialization.py [--fast] [--out DIR]
Requires: torch, matplotlib
"""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Timer, environment, fmt, jfloat, markdown_table, parser, publish, r4, save_png, up  # noqa: E402

from exactrelu import Family, certify, check  # noqa: E402

WIDTH = 32
C = Fraction(1)            # ||E_n|| and ||b_n|| bounded by C / n^2
SHRINK = 1 - Fraction(1, 256)  # drawn layers have norm SHRINK * C / n^2: float32 rounding cannot exceed the bound
NOISE = 0.02               # identity + N(0, NOISE^2)
SCHEMES = ("he", "identity+noise", "sufficient c/n^2")
LR, BATCH = 1e-3, 64


# ------------------------------------------------------------------ data and model
def digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)  # bundled with scikit-learn: no download
    X = (X / 16.0).astype(np.float32)
    return train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)


def hidden_layers(scheme: str, depth: int, seed: int) -> list:
    """The L hidden layers [(W_n, b_n)] as float32 numpy arrays, drawn in order n = 1, 2, ...

    A deeper draw with the same seed extends a shallower one (truncations of one sequence).
    """
    rng = np.random.default_rng([seed, SCHEMES.index(scheme)])
    I = np.eye(WIDTH)
    out = []
    for k in range(1, depth + 1):
        if scheme == "he":
            W, b = rng.normal(0, np.sqrt(2 / WIDTH), (WIDTH, WIDTH)), np.zeros(WIDTH)
        elif scheme == "identity+noise":
            W, b = I + rng.normal(0, NOISE, (WIDTH, WIDTH)), np.zeros(WIDTH)
        else:
            size = float(SHRINK * C / k**2)
            E, e = rng.normal(size=(WIDTH, WIDTH)), rng.normal(size=WIDTH)
            E *= size / np.abs(E).sum(axis=1).max()  # ||E||_inf = size (max row sum)
            e *= size / np.abs(e).max()
            W, b = I + E, e
        out.append((W.astype(np.float32), b.astype(np.float32)))
    return out


def build(depth: int, scheme: str, seed: int):
    import torch
    from torch import nn

    torch.manual_seed(seed)
    inp, outp = nn.Linear(64, WIDTH), nn.Linear(WIDTH, 10)  # same for every scheme (same seed)
    nn.init.kaiming_normal_(inp.weight, nonlinearity="relu")
    nn.init.zeros_(inp.bias)
    hidden = []
    for W, b in hidden_layers(scheme, depth, seed):
        lin = nn.Linear(WIDTH, WIDTH)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W))
            lin.bias.copy_(torch.from_numpy(b))
        hidden += [lin, nn.ReLU()]
    return nn.Sequential(inp, nn.ReLU(), *hidden, outp)


# ------------------------------------------------------------------ exact part
def envelope_certificate():
    """The certified width-1 envelope family W(n) = 1 + C/n^2, b(n) = C/n^2 (exact, checked)."""
    c = f"{C.numerator}/{C.denominator}"
    fam = Family([[f"1 + {c}/n^2"]], [f"{c}/n^2"])
    cert = certify(fam)
    assert cert.verdict == "converges" and cert.theorem == "T4", cert
    assert check(cert) is True
    return fam, cert


def exact_layer_check(layers: list) -> dict:
    """Exactly: ||W_n - I||_inf <= C/n^2 and ||b_n||_inf <= C/n^2 for the float32 layers (read as rationals)."""
    worst = Fraction(0)
    for k, (W, b) in enumerate(layers, start=1):
        bound = C / k**2
        rows = max(sum(abs(Fraction(float(v)) - (i == j)) for j, v in enumerate(row)) for i, row in enumerate(W))
        bias = max(abs(Fraction(float(v))) for v in b)
        assert rows <= bound and bias <= bound, (k, rows, bias, bound)
        worst = max(worst, rows / bound, bias / bound)
    return {"layers": len(layers), "max_norm_over_bound": str(worst), "holds": True}


def input_radius(model) -> Fraction:
    """Exact R with ||ReLU(W_in x + b_in)||_inf <= R for every x in [0, 1]^64 (float32 weights as rationals)."""
    W = model[0].weight.detach().numpy().astype(np.float64)
    b = model[0].bias.detach().numpy().astype(np.float64)
    R = Fraction(0)
    for row, bj in zip(W, b):
        R = max(R, sum((Fraction(float(v)) for v in row if v > 0), Fraction(0)) + Fraction(float(bj)))
    return R


# ------------------------------------------------------------------ measurements
def train(depth: int, scheme: str, seed: int, epochs: int, data) -> dict:
    import torch
    from torch import nn

    Xtr, Xte, ytr, yte = (torch.from_numpy(np.asarray(a)) for a in data)
    model = build(depth, scheme, seed)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    lossf = nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(seed)
    losses, accs = [], []

    def test_acc() -> float:
        with torch.no_grad():
            return float((model(Xte).argmax(1) == yte).float().mean())

    with torch.no_grad():
        losses.append(float(lossf(model(Xtr), ytr)))  # epoch 0: at initialization
    accs.append(test_acc())
    for _ in range(epochs):
        perm = torch.randperm(len(Xtr), generator=g)
        total, count = 0.0, 0
        for i in range(0, len(Xtr), BATCH):
            idx = perm[i : i + BATCH]
            loss = lossf(model(Xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
            count += len(idx)
        losses.append(total / count)  # mean training loss over the epoch (float32, measured)
        accs.append(test_acc())
    drift = sum(float(np.abs(m.weight.detach().numpy() - np.eye(WIDTH)).sum(axis=1).max())
                for m in list(model)[2:-1] if isinstance(m, nn.Linear))
    return dict(depth=depth, scheme=scheme, seed=seed, train_loss=[r4(v) for v in losses],
                test_accuracy=[r4(v) for v in accs], final_test_accuracy=jfloat(accs[-1]),
                sum_norm_W_minus_I_after_training=r4(drift))


def sweep(scheme: str, seed: int, depths: list, Xte: np.ndarray, cert) -> dict:
    """Output of the hidden stack at initialization, y_L(x), at the depths L (truncations of one draw)."""
    import torch

    model = build(max(depths), scheme, seed)
    with torch.no_grad():
        y = torch.relu(model[0](torch.from_numpy(Xte))).numpy().astype(np.float64)
    layers = hidden_layers(scheme, max(depths), seed)
    ys = {}
    for k, (W, b) in enumerate(layers, start=1):  # float64 forward pass of the float32 weights
        y = np.maximum(y @ W.T.astype(np.float64) + b, 0.0)
        if k in depths:
            ys[k] = y.copy()
    last = ys[max(depths)]
    rows = []
    for L in depths:
        yL = ys[L]
        norm = np.linalg.norm(yL, axis=1)
        spread = np.linalg.norm(yL - yL.mean(axis=0), axis=1).mean()
        rows.append(dict(depth=L, mean_output_norm=r4(norm.mean()),
                         relative_spread=r4(spread / norm.mean()) if norm.mean() > 0 else None,
                         dead_fraction=r4((yL == 0).all(axis=0).mean()),
                         max_dist_to_last=jfloat(np.abs(yL - last).max())))
    out = dict(scheme=scheme, seed=seed, rows=rows)
    if scheme == "sufficient c/n^2":
        out["exact_layer_check"] = exact_layer_check(layers)
        R = input_radius(model)
        out["input_radius"] = str(R)
        for r in rows:
            L = r["depth"]
            # ||y_L - y_last|| <= ||N_inf - N_L|| + ||N_inf - N_last|| <= T(L) + T(last)
            B = cert.tail_bound(L, radius=R) + cert.tail_bound(max(depths), radius=R)
            r["certified_dist_bound"] = str(B)
            r["certified_dist_bound_up"] = up(B)
            assert r["max_dist_to_last"] <= float(B), (L, r["max_dist_to_last"], float(B))
    return out


# ------------------------------------------------------------------ driver
def run(fast: bool, out: Path) -> dict:
    import torch

    torch.set_num_threads(1)
    timer = Timer()
    depths = [30, 60]
    seeds = [0] if fast else [0, 1, 2]
    epochs = 2 if fast else 30
    sweep_depths = list(range(10, 201, 10)) if not fast else [10, 50, 100, 200]
    data = digits()
    fam, cert = envelope_certificate()
    (out / "certificates").mkdir(parents=True, exist_ok=True)
    cert.to_json(out / "certificates" / "init_envelope.json")
    runs = []
    for depth in depths:
        for scheme in SCHEMES:
            for seed in seeds:
                r = train(depth, scheme, seed, epochs, data)
                runs.append(r)
                print(f"depth {depth:3d} {scheme:18s} seed {seed}: loss {fmt(r['train_loss'][0])} -> {fmt(r['train_loss'][-1])}, "
                      f"test accuracy {r['final_test_accuracy']:.3f}")
    for r in runs:
        assert all(0.0 <= a <= 1.0 for a in r["test_accuracy"] if isinstance(a, float))
    sweeps = [sweep(s, seed, sweep_depths, data[1], cert) for s in SCHEMES for seed in seeds]
    summary = []
    for depth in depths:
        for scheme in SCHEMES:
            acc = np.array([r["final_test_accuracy"] for r in runs if r["depth"] == depth and r["scheme"] == scheme], dtype=float)
            loss = np.array([r["train_loss"][-1] for r in runs if r["depth"] == depth and r["scheme"] == scheme], dtype=float)
            summary.append(dict(depth=depth, scheme=scheme, seeds=len(acc), mean_test_accuracy=jfloat(acc.mean()),
                                min_test_accuracy=jfloat(acc.min()), max_test_accuracy=jfloat(acc.max()),
                                mean_final_train_loss=jfloat(loss.mean())))
    result = dict(experiment="initialization", mode="fast" if fast else "full", width=WIDTH, depths=depths, seeds=seeds,
                  epochs=epochs, optimizer=f"Adam lr={LR}, batch {BATCH}", noise=NOISE, c=str(C),
                  data=dict(name="sklearn digits", train=len(data[0]), test=len(data[1])),
                  certificate=dict(family=fam.to_json(), verdict=cert.verdict, theorem=cert.theorem,
                                   tail_bound_30_R1=up(cert.tail_bound(30, radius=1)),
                                   tail_bound_60_R1=up(cert.tail_bound(60, radius=1))),
                  environment=environment(), summary=summary, runs=runs, sweep_depths=sweep_depths, sweeps=sweeps)
    publish(out, "initialization", result, markdown, figures, timer)
    return result


def markdown(d: dict) -> str:
    rows = [[s["depth"], s["scheme"], s["seeds"], f"{s['mean_test_accuracy']:.3f}",
             f"{s['min_test_accuracy']:.3f} – {s['max_test_accuracy']:.3f}", fmt(s["mean_final_train_loss"])] for s in d["summary"]]
    drift = {}
    for r in d["runs"]:
        drift.setdefault((r["depth"], r["scheme"]), []).append(r["sum_norm_W_minus_I_after_training"])
    swe = []
    for L in (10, 50, 100, 200):
        row = [L]
        for s in SCHEMES:
            vals = [r for sw in d["sweeps"] if sw["scheme"] == s for r in sw["rows"] if r["depth"] == L]
            if vals:
                row.append(f"{np.mean([v['mean_output_norm'] for v in vals]):.3g} / {np.mean([v['relative_spread'] or 0 for v in vals]):.2f}")
        swe.append(row)
    suff = [sw for sw in d["sweeps"] if "exact_layer_check" in sw]
    bound_rows = [[r["depth"], fmt(r["max_dist_to_last"]), "≤ " + r["certified_dist_bound_up"]] for r in suff[0]["rows"]
                  if r["depth"] in (10, 50, 100, 150)]
    text = [
        f"# Initialization ({d['mode']} run, {d['runtime_s']} s on CPU, no GPU)\n",
        f"Digits ({d['data']['train']} train / {d['data']['test']} test), width {d['width']}, {d['epochs']} epochs, "
        f"{d['optimizer']}, seeds {d['seeds']}. Measured in float32 (torch, CPU).\n",
        markdown_table(["hidden depth", "init", "seeds", "mean test accuracy", "min – max", "mean final train loss"], rows),
        "\nSum over hidden layers of ||W_n - I||_inf after training (measured; mean over seeds):\n",
        markdown_table(["hidden depth"] + list(SCHEMES),
                       [[L] + [f"{np.mean(drift[(L, s)]):.3g}" for s in SCHEMES] for L in d["depths"]]),
        "\nDepth sweep at initialization: mean ||y_L(x)||_2 / relative spread across test inputs "
        "(mean ||y_L(x) - mean_x y_L||_2 divided by mean ||y_L(x)||_2; near 0 = the output forgets the input):\n",
        markdown_table(["depth L"] + list(SCHEMES), swe),
        f"\nCertified (exact, T4 via the envelope family 1 + {d['c']}/n^2, {d['c']}/n^2; rounded up) against measured "
        f"max_x ||y_L(x) - y_{d['sweep_depths'][-1]}(x)||_inf for the sufficient-condition init (seed {suff[0]['seed']}, "
        f"exact input radius R = {float(Fraction(suff[0]['input_radius'])):.4g}):\n",
        markdown_table(["depth L", "measured", "certified bound T(L) + T(200)"], bound_rows),
    ]
    return "\n".join(text)


def figures(d: dict, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = dict(zip(SCHEMES, ("tab:red", "tab:blue", "tab:green")))
    fig, axes = plt.subplots(1, len(d["depths"]) + 1, figsize=(13, 3.8))
    for ax, depth in zip(axes, d["depths"]):
        for s in SCHEMES:
            curves = np.array([r["train_loss"] for r in d["runs"] if r["depth"] == depth and r["scheme"] == s], dtype=float)
            ep = np.arange(curves.shape[1])
            ax.plot(ep, curves.mean(axis=0), color=colors[s], label=s)
            ax.fill_between(ep, curves.min(axis=0), curves.max(axis=0), color=colors[s], alpha=0.2)
        ax.set_yscale("log")
        ax.set_xlabel("epoch (0 = at initialization)")
        ax.set_ylabel("training loss (cross-entropy)")
        ax.set_title(f"hidden depth {depth}, width {d['width']}: mean and min–max over {len(d['seeds'])} seed(s)", fontsize=9)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    ax = axes[-1]
    xs = np.arange(len(d["depths"]))
    for i, s in enumerate(SCHEMES):
        for j, depth in enumerate(d["depths"]):
            accs = [r["final_test_accuracy"] for r in d["runs"] if r["depth"] == depth and r["scheme"] == s]
            x = xs[j] + (i - 1) * 0.25
            ax.bar(x, np.mean(accs), width=0.22, color=colors[s], alpha=0.6, label=s if j == 0 else None)
            ax.plot([x] * len(accs), accs, "k.", ms=4)
    ax.set_xticks(xs, [f"depth {L}" for L in d["depths"]])
    ax.set_ylim(0, 1.15)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_ylabel(f"test accuracy after {d['epochs']} epochs")
    ax.set_title("test accuracy (bars: mean, dots: seeds)", fontsize=9)
    ax.legend(fontsize=7, loc="upper center", ncol=3)
    fig.tight_layout()
    save_png(fig, out / "initialization_training.png")
    plt.close(fig)

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for s in SCHEMES:
        for sw in [sw for sw in d["sweeps"] if sw["scheme"] == s]:
            L = [r["depth"] for r in sw["rows"]]
            lab = s if sw["seed"] == d["seeds"][0] else None
            axes[0].plot(L, [r["mean_output_norm"] for r in sw["rows"]], ".-", color=colors[s], label=lab)
            axes[1].plot(L, [r["relative_spread"] for r in sw["rows"]], ".-", color=colors[s], label=lab)
            dist = [r["max_dist_to_last"] for r in sw["rows"]]
            axes[2].plot(L[:-1], dist[:-1], ".-", color=colors[s], label=lab)
            if "exact_layer_check" in sw and sw["seed"] == d["seeds"][0]:
                axes[2].plot(L[:-1], [float(r["certified_dist_bound_up"]) for r in sw["rows"][:-1]], ":", color=colors[s],
                             lw=2, label=f"certified T(L)+T(200), sufficient, seed {sw['seed']}")
    axes[0].set_yscale("log")
    axes[0].set_title("mean ||y_L(x)||_2 at initialization", fontsize=9)
    axes[1].set_title("relative spread across inputs (0 = input forgotten)", fontsize=9)
    axes[2].set_yscale("log")
    axes[2].set_title(f"max_x ||y_L(x) - y_{d['sweep_depths'][-1]}(x)||_inf", fontsize=9)
    for ax in axes:
        ax.set_xlabel("depth L")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("Depth sweep of the hidden-stack output at initialization (digits test inputs; measured, float64 "
                 "pass of the float32 weights)", fontsize=9)
    fig.tight_layout()
    save_png(fig, out / "initialization_sweep.png")
    plt.close(fig)


def main(argv=None) -> None:
    args = parser(__doc__.splitlines()[0]).parse_args(argv)
    run(args.fast, args.out)


if __name__ == "__main__":
    main()
