"""The region algorithm registry: selection by name, shared checks and T1 maps, and agreement of the algorithms."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction

import pytest

from exactrelu.nets.affine import AffineMaps
from exactrelu.nets.network import Network
from exactrelu.regions import ALGORITHMS, Region, RegionLimitExceeded, regions
from exactrelu.regions.algorithms import Job, RegionAlgorithm, register
from exactrelu.regions.planar import PlanarRegion

SQUARE = ([-1, -1], [1, 1])
NET2 = Network([([[1, 0], [0, 1], [1, 1], [2, -1]], [0, 0, "-1/2", "1/3"]), ([[1, -1, 1, 0], [0, 1, -1, 1]], [0, "-1/4"])],
               output=([[1, 2]], ["1/7"]))
NET3 = Network([([[1, 0, 1], [0, 1, -1]], [0, "1/3"])])


def partition(found: list) -> dict:
    """What an exact partition is made of: per pattern, the affine map, the area and the closed polygon."""
    return {r.pattern: (r.affine_map, r.volume(), r.polyhedron) for r in found}


def test_the_builtin_algorithms_are_registered():
    assert {"planar", "general"} <= set(ALGORITHMS)
    assert all(isinstance(a, RegionAlgorithm) and ALGORITHMS[name] is a for name, a in ALGORITHMS.items())


def test_planar_and_general_give_the_same_exact_partition():
    planar, general = regions(NET2, SQUARE, method="planar"), regions(NET2, SQUARE, method="general")
    assert len(planar) > 6
    assert [r.pattern for r in planar] == [r.pattern for r in general]  # both sorted by pattern
    ours, theirs = partition(planar), partition(general)
    for p in ours:
        assert ours[p][:2] == theirs[p][:2]
        assert ours[p][2].contains(general[[r.pattern for r in general].index(p)].witness)
    assert sum(v for _, v, _ in ours.values()) == 4


def test_auto_picks_planar_for_serial_2d_and_general_otherwise():
    assert all(isinstance(r, PlanarRegion) for r in regions(NET2, SQUARE))
    assert not any(isinstance(r, PlanarRegion) for r in regions(NET2, SQUARE, workers=2))
    with ThreadPoolExecutor(2) as pool:
        assert not any(isinstance(r, PlanarRegion) for r in regions(NET2, SQUARE, executor=pool))
    assert [r.pattern for r in regions(NET3, ([-1] * 3, [1] * 3))] == [r.pattern for r in
                                                                       regions(NET3, ([-1] * 3, [1] * 3), method="general")]


def test_network_regions_selects_the_method():
    assert [type(r) for r in NET2.regions(SQUARE, method="planar")] == [PlanarRegion] * len(regions(NET2, SQUARE))
    general = NET2.regions(SQUARE, method="general")
    assert general and not any(isinstance(r, PlanarRegion) for r in general)
    with pytest.raises(RegionLimitExceeded) as info:
        NET2.regions(SQUARE, method="general", max_regions=2)
    assert info.value.limit == 2


@pytest.mark.parametrize(
    "net, box, kw, message",
    [
        (NET2, SQUARE, {"method": "fast"}, r"method must be one of 'auto', 'general', 'planar'.*got 'fast'"),
        (NET2, SQUARE, {"method": 2}, "method must be one of"),
        (NET3, ([-1] * 3, [1] * 3), {"method": "planar"}, "planar' cannot run this job: it needs 2-D inputs, the "
                                                          "network's input dimension is 3"),
        (NET2, SQUARE, {"method": "planar", "workers": 2}, "runs in one process"),
        (NET2, ([-1], [1]), {"method": "general"}, "box has dimension 1, the network's input dimension is 2"),
        (NET2, ([0, 0], [0, 1]), {}, "empty interior"),
        (NET2, SQUARE, {"max_regions": -1}, "max_regions"),
        ([[1, 2]], SQUARE, {}, "net must be an exactrelu Network, got list"),
    ],
)
def test_selection_and_box_errors_name_the_problem(net, box, kw, message):
    with pytest.raises(ValueError, match=message):
        regions(net, box, **kw)


class _Corners(RegionAlgorithm):
    """A toy algorithm for the registry tests: one region per call, the box centre's pattern."""

    name = "toy"
    summary = "test only"
    priority = None  # never chosen by "auto"
    seen: list = []

    def supports(self, job: Job) -> str | None:
        return None if job.dim == 2 else "is a toy for 2-D inputs"

    def run(self, job: Job) -> list:
        self.seen.append(job)
        centre = tuple((lo + hi) / 2 for lo, hi in zip(job.lower, job.upper))
        pattern = job.net.pattern(centre).without_ties()
        region = Region(pattern, None, job.maps.affine_map(pattern.layers), centre)
        if job.max_regions == 0:
            raise job.exceeded([region])
        return [region]


@pytest.fixture
def toy():
    algorithm = register(_Corners())
    _Corners.seen.clear()
    yield algorithm
    del ALGORITHMS["toy"]


def test_a_registered_algorithm_is_selectable_and_gets_a_checked_job(toy):
    [r] = NET2.regions((["-1/2", 0], [1, "1/2"]), method="toy")
    [job] = toy.seen
    assert job.lower == (Fraction(-1, 2), Fraction(0)) and job.upper == (Fraction(1), Fraction(1, 2))
    assert all(type(v) is Fraction for v in job.lower + job.upper)
    assert isinstance(job.maps, AffineMaps) and job.maps._cache is not None  # memoised for the enumeration
    assert r.affine_map == NET2.affine_map(r.pattern)
    assert all(isinstance(x, PlanarRegion) for x in regions(NET2, SQUARE))  # "auto" never picks priority None
    assert len(toy.seen) == 1
    with pytest.raises(ValueError, match="it is a toy for 2-D inputs"):
        regions(NET3, ([-1] * 3, [1] * 3), method="toy")
    with pytest.raises(RegionLimitExceeded) as info:
        regions(NET2, SQUARE, method="toy", max_regions=0)
    assert info.value.limit == 0 and [x.pattern for x in info.value.regions] == [NET2.pattern([0, 0]).without_ties()]
    assert "toy" in ALGORITHMS and "'toy'" in _unknown_method_message()


def _unknown_method_message() -> str:
    with pytest.raises(ValueError) as info:
        regions(NET2, SQUARE, method="nope")
    return str(info.value)


def test_register_refuses_what_is_not_an_algorithm():
    with pytest.raises(ValueError, match="RegionAlgorithm"):
        register(object())
    auto = _Corners()
    auto.name = "auto"
    with pytest.raises(ValueError, match="other than 'auto'"):
        register(auto)
    assert "auto" not in ALGORITHMS


def test_shared_maps_are_the_networks_t1_maps():
    found = regions(NET2, SQUARE, method="general")
    for r in found:
        assert r.affine_map == NET2.affine_map(r.pattern)
        A, c = r.affine_map
        assert NET2(r.witness) == tuple(sum(a * x for a, x in zip(row, r.witness)) + ci for row, ci in zip(A, c))
