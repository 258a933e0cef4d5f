"""oracle.compare_regions: another tool's region list judged against the exact partition (synthetic damage,
regioncam's faces)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exactrelu import Network, oracle
from exactrelu.numeric.judge_regions import judge_regions
from exactrelu.regions.partition import Partition


def _net(seed: int, widths=(2, 8, 8, 1)) -> Network:
    rng = np.random.default_rng(seed)
    layers = [((rng.uniform(-1, 1, (widths[i + 1], widths[i])) / np.sqrt(widths[i])).astype(np.float32),
               (rng.uniform(-1, 1, widths[i + 1]) / np.sqrt(widths[i])).astype(np.float32)) for i in range(len(widths) - 1)]
    return Network(layers[:-1], output=layers[-1])


def _exact_claims(part) -> list:
    return [{"pattern": str(r.pattern), "area": r.volume(), "point": r.witness} for r in part]


@pytest.fixture(scope="module")
def part():
    return _net(0).regions(([-1, -1], [1, 1]))


def test_the_exact_list_passes(part):
    r = oracle.compare_regions(_exact_claims(part), part, area_rtol=0)
    assert r.ok and len(r.matched) == len(part) and r.missing_area == 0 and "OK" in str(r)


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_synthetic_damage_is_found_exactly(part, data):
    claims = _exact_claims(part)
    n = len(claims)
    drop = data.draw(st.sets(st.integers(0, n - 1), max_size=3))
    swap = data.draw(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda t: t[0] != t[1]))
    damaged = [dict(c) for i, c in enumerate(claims) if i not in drop]
    # keep swapped claims only among the kept ones: their labels exchange, their points stay
    kept = [i for i in range(n) if i not in drop]
    a, b = (kept.index(s) for s in swap) if set(swap) <= set(kept) else (None, None)
    if a is not None:
        damaged[a]["pattern"], damaged[b]["pattern"] = damaged[b]["pattern"], damaged[a]["pattern"]
    damaged.append({"pattern": "1" * 8 + "|" + "0" * 8 if "1" * 8 + "|" + "0" * 8 not in {str(r.pattern) for r in part}
                    else "0" * 8 + "|" + "1" * 8, "area": 1})
    r = judge_regions(damaged, part)
    assert sorted(m.index for m in r.missing) == sorted(drop)
    assert r.missing_area == sum((part[i].volume() for i in drop), Fraction(0))
    assert len(r.spurious) == 1 and not r.duplicated
    assert len(r.mislabelled) == (2 if a is not None else 0)
    assert not r.ok


def test_bad_claims_refused(part):
    with pytest.raises(ValueError, match="claimed region 0: must be a mapping"):
        oracle.compare_regions([("01",)], part)
    with pytest.raises(ValueError, match="claimed region 1: unknown key 'volume'"):
        oracle.compare_regions([{"pattern": "0"}, {"pattern": "0", "volume": 1}], part)
    with pytest.raises(ValueError, match="claimed region 0, point"):
        oracle.compare_regions([{"pattern": str(part[0].pattern), "point": ["x", 1]}], part)
    partial = Partition(list(part)[:2], net=part.net, box=part.box, partial=True)
    with pytest.raises(ValueError, match="partial"):
        oracle.compare_regions([], partial)
    far = oracle.compare_regions([{"pattern": str(part[0].pattern), "point": [5, 5]}], part)
    assert far.unjudged_points and "outside" in far.unjudged_points[0][1]


def test_regioncam_faces_judged():
    regioncam = pytest.importorskip("regioncam", reason="needs regioncam (pip install \"exactrelu[regioncam]\")")
    net = _net(1, widths=(2, 16, 16, 1))
    part = net.regions(([-1, -1], [1, 1]))
    rc = regioncam.Regioncam(size=1.0)
    for (W, b), relu in [(L, True) for L in net.layers] + [(net.output, False)]:
        rc.linear(np.array([[float(v) for v in row] for row in W], dtype=np.float32).T,
                  np.array([float(v) for v in b], dtype=np.float32))
        if relu:
            rc.relu()
    r = oracle.compare_regions(rc, part, area_rtol="1/1000")
    # whatever regioncam's float32 arithmetic does, the report accounts for every claim and every region
    assert len(r.matched) + len(r.spurious) == r.n_claimed == rc.num_faces
    assert len({ri for _, ri in r.matched}) + len(r.missing) == len(part)
    assert r.ok == (rc.num_faces == len(part) and not r.mislabelled and not r.area_flags)
    # on this net regioncam finds every region with the right pattern and a point inside it; its float32
    # areas are within 1e-3 except on tiny regions (one of area 1.9e-9 is off by 2.9e-12 here)
    assert not (r.missing or r.spurious or r.duplicated or r.mislabelled), str(r)
    assert all(exact < Fraction(1, 10**6) for _, exact, _, _ in r.area_flags), str(r)
