"""The built-in example behind ``exactrelu demo``.

A small 2-input network whose first layer has four boundaries through the
origin (x = 0, y = 0, x = y, x = -y): the arrangement that float region
counters get wrong, and exact arithmetic gets right.

>>> net = demo_network()
>>> net.pattern([0, 0])
Pattern('0000|100', ties=[(0, 0), (0, 1), (0, 2), (0, 3), (1, 1)])
>>> report = demo_report()
>>> report["tiles_box"], report["witnesses_ok"]
(True, True)
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from .nets.network import Network
from .exact.numbers import fraction_str

__all__ = ["demo_network", "demo_report", "format_report", "witness_ok"]

DEMO_POINTS = (("1/3", "-1/7"), ("0", "0"), ("1/2", "1/2"), ("-0.3", "0.7"))


def demo_network() -> Network:
    """A 2-4-3-1 network with exact rational weights (four first-layer lines through 0)."""
    layer1 = ([[1, 0], [0, 1], [1, 1], [1, -1]], [0, 0, 0, 0])
    layer2 = ([[1, -1, "1/2", 0], [0, 1, -1, "1/3"], [-1, 0, 1, 1]], ["1/4", 0, "-1/5"])
    return Network([layer1, layer2], output=([[1, -2, "3/2"]], ["1/10"]))


def demo_report(box: Any = None) -> dict:
    """Evaluate the demo network exactly and enumerate its regions over [-1, 1]^2."""
    from .exact.polyhedron import Box
    from .regions import regions

    net = demo_network()
    box = box or Box([-1, -1], [1, 1])
    found = regions(net, box)
    areas = [r.volume() for r in found]
    return {
        "network": net,
        "box": box,
        "points": [(x, net(x), net.pattern(x)) for x in DEMO_POINTS],
        "regions": found,
        "area_sum": sum(areas, Fraction(0)),
        "box_area": box.volume(),
        "tiles_box": sum(areas, Fraction(0)) == box.volume() and all(a > 0 for a in areas),
        "witnesses_ok": all(witness_ok(net, r) for r in found),
    }


def witness_ok(net: Network, region: Any) -> bool:
    """The witness has the region's activations, and ties only where a neuron is identically 0 there.

    A neuron whose pre-activation is the zero function on a region ties at every
    point of it, so no witness can avoid that tie; any other tie would mean the
    witness sits on a boundary.
    """
    p = net.pattern(region.witness)
    if p.layers != region.pattern.layers:
        return False
    maps = list(net.prefix_maps(region.pattern))  # z_i = M_i x + m_i on the region (T1)

    def zero_function(i: int, j: int) -> bool:
        M, m = maps[i]
        return m[j, 0] == 0 and all(M[j, k] == 0 for k in range(net.input_dim))

    return all(zero_function(i, j) for i, j in p.ties)


def _vec(v: Any) -> str:
    return "(" + ", ".join(fraction_str(Fraction(t)) for t in v) + ")"


def format_report(report: dict, show: int = 6) -> str:
    """The demo report as readable text."""
    net, found = report["network"], report["regions"]
    lines = [f"exactrelu demo: {net!r}", "", "Exact evaluation (pattern per layer, ties = pre-activation exactly 0):"]
    for x, y, p in report["points"]:
        tie = f"  ties {list(p.ties)}" if p.ties else ""
        lines.append(f"  N{_vec(x)} = {_vec(y)}   pattern {p}{tie}")
    lines += ["", f"Linear regions over the box {_vec(report['box'].lower)} .. {_vec(report['box'].upper)}: {len(found)}"]
    for r in found[:show]:
        A, c = r.affine_map
        lines.append(f"  {r.pattern}  area {fraction_str(r.volume())}  N(x) = {_vec(A[0])}.x + {fraction_str(c[0])}  witness {_vec(r.witness)}")
    if len(found) > show:
        lines.append(f"  ... and {len(found) - show} more")
    lines += [
        "",
        f"Sum of exact region areas: {fraction_str(report['area_sum'])} (box area {fraction_str(report['box_area'])}): "
        + ("the regions tile the box exactly" if report["tiles_box"] else "MISMATCH"),
        "Every witness point has its region's pattern: " + ("yes" if report["witnesses_ok"] else "NO"),
    ]
    return "\n".join(lines)
