"""What do the exact linear regions and decision boundaries of two trained classifiers look like (the README's two region figures)?

It also makes, reproducibly, the digits network the tests use.

    python examples/region_figures.py --out docs/figures   # the README's figures
    python examples/region_figures.py                      # into a temporary folder (what the tests run)
    python examples/region_figures.py --write-fixture      # also (re)trains tests/data/digits_mlp.npz

1. docs/figures/regions_2d_boundary.png: a 2-16-16-2 classifier trained on
   scikit-learn's two moons; its exact linear regions over [-1.5, 2.5] x
   [-1, 1.5] and its exact decision boundary (black).
2. docs/figures/regions_digits_slice.png: a 64-64-64-10 MLP trained on
   scikit-learn's 8x8 digits; the plane through three training images (a 0,
   a 1 and a 7), its exact regions coloured by the predicted class, and the
   exact decision boundary.

Everything drawn is computed exactly (rational polygons and boundary
segments); training is seeded and full-batch, so reruns give the same
networks.  Each figure's regions are checked to tile their box exactly and
its boundary segments to lie exactly on the tie of two top classes.

Requires: torch, sklearn, matplotlib
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "data" / "digits_mlp.npz"
DIGITS = (0, 1, 7)  # the classes of the three images the slice passes through


def train(X, y, widths, steps, seed=0, lr=1e-2):
    """A seeded, full-batch Adam training of a Linear/ReLU MLP with the given widths (input first)."""
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(1)  # tiny models: threads only contend (and one thread is reproducible)
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    X, y = torch.tensor(X, dtype=torch.float32), torch.tensor(y)
    for _ in range(steps):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(X), y).backward()
        opt.step()
    return model


def digits_images():
    """The digits (pixels scaled to [0, 1]) and labels, and the first image of each class in DIGITS."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    picks = [int(next(i for i, label in enumerate(y) if label == k)) for k in DIGITS]
    return X, y, picks


def digits_network(write_fixture: bool = False):
    from exactrelu.interop.io import from_torch, load, save

    if FIXTURE.exists() and not write_fixture:
        return load(FIXTURE)
    X, y, _ = digits_images()
    net = from_torch(train(X, y, [64, 64, 64, 10], steps=150))
    if write_fixture:
        save(net, FIXTURE, dtype="float32")  # float32 holds the trained weights exactly
    return net


def check(net, part, pieces) -> None:
    """The regions tile their box exactly; every boundary segment lies exactly on a tie of the two top classes."""
    assert sum(r.volume() for r in part) == part.box.volume()
    for piece in pieces:
        i, j = piece.classes
        for t in piece.segment:
            out = net(t)
            assert out[i] == out[j] == max(out), (piece, t)


def figure_2d(out: Path) -> None:
    import matplotlib.pyplot as plt
    from sklearn.datasets import make_moons

    from exactrelu import plot
    from exactrelu.interop.io import from_torch

    X, y = make_moons(n_samples=200, noise=0.1, random_state=0)
    net = from_torch(train(X, y, [2, 16, 16, 2], steps=300))
    start = time.perf_counter()
    part = net.regions(([-1.5, -1], [2.5, 1.5]))
    pieces = part.decision_boundary()
    took = time.perf_counter() - start
    check(net, part, pieces)
    fig, ax = plt.subplots(figsize=(5.6, 3.8))
    plot.regions(part, ax=ax, color_by="output")
    ax.scatter(X[:, 0], X[:, 1], c=["#1f4e99" if t == 0 else "#b3461b" for t in y], s=5, zorder=4)
    ax.set_title(f"2-16-16-2 on two moons: {len(part)} exact regions,\n"
                 f"decision boundary in {len(pieces)} exact segments ({took:.1f} s)", fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    print(f"{out}: {len(part)} regions, {len(pieces)} boundary segments, {took:.2f} s")


def figure_digits(net, out: Path) -> None:
    import matplotlib.pyplot as plt

    from exactrelu import plot
    from exactrelu.nets.slice import Slice

    X, _, picks = digits_images()
    s = Slice.through_points(*(X[i] for i in picks), margin="1/4")
    start = time.perf_counter()
    part = net.regions(s)
    pieces = part.decision_boundary()
    took = time.perf_counter() - start
    check(net.restrict(s), part, pieces)  # the exact network on the slice's coordinates
    fig = plt.figure(figsize=(6.4, 4.6))
    ax = fig.add_axes([0.08, 0.1, 0.62, 0.78])
    marks = [((0, 0), f"a {DIGITS[0]}"), ((1, 0), f"a {DIGITS[1]}"), ((0, 1), f"a {DIGITS[2]}")]
    plot.regions(part, ax=ax, color_by="output", points=marks)
    from matplotlib.patches import Patch

    # the classes that win somewhere: both sides of every boundary piece (a class winning a cell that is not
    # the whole slice meets another class along the boundary), or the one class when there is no boundary
    small = net.restrict(s)
    classes = sorted({k for p in pieces for k in p.classes}) or [max(range(10), key=small(part[0].witness).__getitem__)]
    ax.legend(handles=[Patch(color=plt.get_cmap("tab10")(k), label=f"class {k}") for k in classes], fontsize=7,
              loc="upper right", framealpha=0.9)
    ax.set_title(f"64-64-64-10 on digits, the plane through three images:\n{len(part)} exact regions, "
                 f"decision boundary {len(pieces)} segments ({took:.1f} s)", fontsize=9)
    for k, i in enumerate(picks):
        inset = fig.add_axes([0.76, 0.66 - 0.27 * k, 0.2, 0.22])
        inset.imshow(X[i].reshape(8, 8), cmap="gray_r")
        inset.set_xticks([])
        inset.set_yticks([])
        inset.set_title(f"p{k}: {marks[k][0]}", fontsize=8)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    print(f"{out}: {len(part)} regions, {len(pieces)} boundary segments, {took:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=None, help="folder for the figures (default: a new temporary folder)")
    parser.add_argument("--write-fixture", action="store_true", help=f"retrain and write {FIXTURE.name}")
    args = parser.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="exactrelu-figures-"))
    out.mkdir(parents=True, exist_ok=True)
    figure_2d(out / "regions_2d_boundary.png")
    figure_digits(digits_network(args.write_fixture), out / "regions_digits_slice.png")


if __name__ == "__main__":
    main()
