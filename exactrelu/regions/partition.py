"""The region complex: a list of regions that also knows its adjacency graph, faces, statistics and file.

:func:`exactrelu.regions.regions` returns a :class:`Partition`: a ``list`` of
:class:`~exactrelu.regions.region.Region` (indexing, ``len``, iteration and
comparison with lists work as before) carrying the network the regions belong
to, the box they tile, the :class:`~exactrelu.nets.slice.Slice` when they are
regions of a slice (in its coordinates t), and ``partial`` when a limit
stopped the enumeration.  Everything here is exact: adjacency is decided by
exact polygon edges (2-D) or the exact dimension of the intersection of two
closures (any dimension), never by a tolerance.

>>> from exactrelu import Network
>>> net = Network([([[1, 0], [0, 1]], [0, 0])])
>>> part = net.regions(([-1, -1], [1, 1]))
>>> len(part), part == list(part), [str(r.pattern) for r in part]
(4, True, ['00', '01', '10', '11'])
>>> [(i, j, differing_neurons(part[i], part[j])) for i, j, _ in part.adjacencies()]
[(0, 1, ((0, 1),)), (0, 2, ((0, 0),)), (1, 3, ((0, 0),)), (2, 3, ((0, 1),))]
>>> part.summary()["per_layer"], part.summary()["volume"]
([4], Fraction(4, 1))
"""

from __future__ import annotations

import bisect
import itertools
from collections import Counter, defaultdict
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterable

from ..exact.jsonio import envelope, read_envelope, write_json
from ..exact.numbers import fraction_str, to_vector
from ..exact.polyhedron import Box
from ..nets.slice import Slice
from ..optional import import_optional
from .boundary import decision_boundary, polygon
from .gcpause import gc_paused
from .region import Region

__all__ = ["Partition", "PARTITION_FORMAT", "differing_neurons", "polygon"]

PARTITION_FORMAT = "exactrelu.regions"
PARTITION_VERSION = 2


def differing_neurons(a: Region, b: Region) -> tuple:
    """The (layer, neuron) pairs whose bits (pieces) differ between two regions' patterns.

    On a shared facet each of them is exactly 0 (its pre-activation is > 0 on
    one side and <= 0 on the other, and continuous), so the facet lies on
    their hyperplanes; for other activations it is exactly on the breakpoint
    between the two pieces.
    """
    return tuple((i, j) for i, (x, y) in enumerate(zip(a.pattern.layers, b.pattern.layers))
                 for j, (u, v) in enumerate(zip(x, y)) if u != v)


def _line_key(p: tuple, q: tuple) -> tuple:
    """The line through p != q, canonically: (n0, n1, c) with n.x = c, the first nonzero n_i = 1."""
    n = (q[1] - p[1], p[0] - q[0])
    s = n[0] if n[0] else n[1]
    n = (n[0] / s, n[1] / s)
    return n + (n[0] * p[0] + n[1] * p[1],)


class Partition(list):
    """The linear regions of ``net`` in ``box`` (a list of Region) and the complex they form.

    ``slice``: the Slice whose coordinates the regions use (None: the input
    space); ``partial``: True when a limit stopped the enumeration (then the
    regions are complete and exact, but not all of them), ``limit`` that limit.

    >>> from exactrelu import Network
    >>> part = Network([([[1, -1]], [0])]).regions(([0, 0], [1, 1]))     # the diagonal cuts the square
    >>> part.vertices()
    {(Fraction(0, 1), Fraction(0, 1)): (0, 1), (Fraction(0, 1), Fraction(1, 1)): (0,), (Fraction(1, 1), Fraction(0, 1)): (1,), (Fraction(1, 1), Fraction(1, 1)): (0, 1)}
    >>> sorted(part.vertex_degrees().values()), part.volumes()
    ([2, 2, 3, 3], [Fraction(1, 2), Fraction(1, 2)])
    >>> [(i, j, [tuple(map(str, p)) for p in seg]) for i, j, seg in part.adjacencies()]
    [(0, 1, [('0', '0'), ('1', '1')])]
    >>> back = Partition.from_json(part.to_json())
    >>> [r.pattern for r in back] == [r.pattern for r in part], back.partial, back.check(part.net)
    (True, False, True)
    """

    def __init__(self, regions: Iterable = (), *, net: Any = None, box: Box | None = None, slice: Slice | None = None,
                 partial: bool = False, limit: int | None = None, network_json: dict | None = None):
        super().__init__(regions)
        self.net, self.box, self.partial, self.limit = net, box, partial, limit
        self._network_json = network_json
        self.slice = None
        self.set_slice(slice)
        self._memo: dict = {}

    def set_slice(self, slice: Slice | None) -> None:
        """Record that the regions live in the coordinates of ``slice`` (each region learns it too)."""
        self.slice = slice
        for r in self:
            r._slice = slice

    @property
    def dim(self) -> int:
        """The dimension of the space the regions tile (t for a slice)."""
        return len(self.box.lower)

    def _cached(self, key: str, compute: Any) -> Any:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    # ------------------------------------------------------------------ adjacency
    def adjacencies(self) -> list:
        """Every pair of regions whose closures share a facet of dimension d - 1, exactly.

        A list of ``(i, j, facet)`` with i < j indices into the partition; in 2-D
        ``facet`` is the shared segment (two exact endpoints), else the shared
        facet as a Polyhedron.
        """
        return self._cached("adjacencies", self._adjacent_2d if self.dim == 2 else self._adjacent_general)

    def _edges_by_line(self) -> dict:
        """The polygons' edges grouped by their exact line: line -> [(start, end, a, b, region)], start < end
        the parameters (x, or y on a vertical line) of the endpoints a and b, sorted by start."""
        def compute() -> dict:
            by_line: dict = defaultdict(list)
            for r, region in enumerate(self):
                pts = polygon(region)
                for p, q in zip(pts, pts[1:] + pts[:1]):
                    axis = 1 if p[0] == q[0] else 0  # parametrise the line by x, or by y when it is vertical
                    (s, a), (e, b) = sorted(((p[axis], p), (q[axis], q)))
                    by_line[_line_key(p, q)].append((s, e, a, b, r))
            for edges in by_line.values():
                edges.sort(key=lambda t: t[0])
            return dict(by_line)

        return self._cached("edges", compute)

    def _adjacent_2d(self) -> list:
        # Overlapping edges of two regions on one line share a segment of positive length:
        # in 2-D that is exactly a shared facet.
        out = []
        for edges in self._edges_by_line().values():
            for k, (s, e, a, b, r) in enumerate(edges):
                for s2, e2, a2, b2, r2 in itertools.takewhile(lambda t: t[0] < e, edges[k + 1:]):
                    stop = b if e <= e2 else b2
                    if r2 != r:  # s <= s2 < e: the overlap runs from s2 to min(e, e2) > s2
                        out.append((min(r, r2), max(r, r2), (a2, stop)))
        return sorted(out, key=lambda t: t[:2])

    def _adjacent_general(self) -> list:
        d = self.dim
        out = []
        closures = [r.polyhedron.closure() for r in self]
        for i, j in itertools.combinations(range(len(self)), 2):
            if not self._may_touch(i, j):
                continue
            facet = closures[i].intersect(closures[j])
            if facet.dimension() == d - 1:
                out.append((i, j, facet))
        return out

    def _may_touch(self, i: int, j: int) -> bool:
        """A necessary condition for a shared facet F, exact and cheap: every neuron whose piece differs is on
        one breakpoint on F (see :func:`differing_neurons`; adjacent pieces only, as the pre-activation is
        continuous), so its affine map on either region minus that breakpoint vanishes on F's hyperplane: it is a
        multiple of one affine function (the nonzero rows [M | m - t] of all of them, from both regions' T1 maps,
        scale to one row).  A zero row (a neuron constant on a region, e.g. fed only by inactive ReLUs) is the
        zero multiple and rules nothing out."""
        if self.net is None:
            return True
        rows = set()
        for layer, n in differing_neurons(self[i], self[j]):
            p, q = self[i].pattern.layers[layer][n], self[j].pattern.layers[layer][n]
            if abs(p - q) > 1:  # a piece lies between: the closures cannot meet in a facet
                return False
            bps = self._maps().breakpoints[layer]
            t = None if bps is None else bps[n][min(p, q)]
            rows.update(self._direction(r, layer, n, t) for r in (i, j))
        rows.discard(None)
        return len(rows) <= 1

    def _direction(self, r: int, layer: int, n: int, t: Any = None) -> int | None:
        """Neuron n of ``layer`` on region r, less its breakpoint ``t`` (None: 0): the number of its row
        [M | m - t] scaled to a leading 1 (equal numbers, equal rows), or None for a zero row."""
        key = (r, layer, n, t)
        cache = self._cached("directions", dict)
        if key not in cache:
            H = self._maps().layer(self[r].pattern.layers[:layer])
            row = H.entries()[n * H.ncols():(n + 1) * H.ncols()]
            if t is not None:
                row[-1] -= t
            lead = next((v for v in row if v != 0), None)
            numbers = self._cached("direction numbers", dict)
            cache[key] = None if lead is None else numbers.setdefault(tuple(v / lead for v in row), len(numbers))
        return cache[key]

    def _maps(self) -> Any:
        return self._cached("maps", lambda: self.net.affine_maps(memo=True))

    def graph(self) -> Any:
        """The adjacency graph as a networkx Graph (networkx needed).

        Nodes are the region indices (attributes ``region``, ``pattern``); an
        edge joins two regions whose closures share a facet of dimension d - 1,
        labelled ``neurons`` (every (layer, neuron) whose hyperplane holds the
        facet: the ones whose bits differ), ``neuron`` (the first of them) and
        ``facet`` (2-D: the exact segment; else the facet Polyhedron).
        """
        nx = import_optional("networkx", "Partition.graph()")
        G = nx.Graph()
        for i, r in enumerate(self):
            G.add_node(i, region=r, pattern=str(r.pattern))
        for i, j, facet in self.adjacencies():
            neurons = differing_neurons(self[i], self[j])
            G.add_edge(i, j, neurons=neurons, neuron=neurons[0], facet=facet)
        return G

    # ------------------------------------------------------------------ 2-D faces
    def _require_2d(self, what: str) -> None:
        if self.dim != 2:
            raise ValueError(f"{what} is for 2-D partitions; this one has dimension {self.dim}")

    def vertices(self) -> dict:
        """2-D: every exact vertex of the complex -> the indices of the regions whose closures contain it."""
        self._require_2d("vertices()")
        return self._cached("vertices", self._vertices)

    def _vertices(self) -> dict:
        # A region's closure holds v iff v is one of its corners or lies inside one of its edges
        # (a T-junction); both are read off the exact edges, line by line.
        found: dict = defaultdict(set)
        for edges in self._edges_by_line().values():
            points = sorted({(s, a) for s, _, a, _, _ in edges} | {(e, b) for _, e, _, b, _ in edges})
            keys = [t for t, _ in points]
            for s, e, a, b, r in edges:
                found[a].add(r)
                found[b].add(r)
                for _, v in points[bisect.bisect_right(keys, s):bisect.bisect_left(keys, e)]:
                    found[v].add(r)
        return {v: tuple(sorted(owners)) for v, owners in sorted(found.items())}

    def vertex_degrees(self) -> dict:
        """2-D: vertex -> its degree in the complex (the number of edges meeting there, box edges included)."""
        box = self.box
        on_box = lambda v: any(v[k] in (box.lower[k], box.upper[k]) for k in range(2))  # noqa: E731
        return {v: len(owners) + (1 if on_box(v) else 0) for v, owners in self.vertices().items()}

    def faces(self) -> dict:
        """2-D: ``{"vertices": [...], "edges": [(p, q, i, j, neurons), ...], "polygons": [...]}``, exact.

        ``edges`` are the interior 1-faces: segments shared by regions i and j.
        """
        self._require_2d("faces()")
        edges = [(p, q, i, j, differing_neurons(self[i], self[j])) for i, j, (p, q) in self.adjacencies()]
        return {"vertices": list(self.vertices()), "edges": edges, "polygons": [polygon(r) for r in self]}

    # ------------------------------------------------------------------ statistics
    def per_layer_counts(self) -> list:
        """For each k = 1..depth, the number of regions of the first k layers (distinct pattern prefixes)."""
        depth = len(self[0].pattern.layers) if self else 0
        return [len({r.pattern.layers[:k] for r in self}) for k in range(1, depth + 1)]

    def volumes(self) -> list:
        """The exact volume (area in 2-D) of every region."""
        with gc_paused():
            return [r.volume() for r in self]

    def exact_fields(self) -> "Partition":
        """Compute now, once, every region's exact fields: affine map, witness, volume, and in 2-D vertices.

        The same values as asking each region (they are kept on it), in one pass with cyclic garbage
        collection paused: they are many small objects that live as long as the partition, and
        collecting while they are made walks them again and again.  Returns the partition.

        >>> from exactrelu import Network
        >>> part = Network([([[1, -1]], [0])]).regions(([0, 0], [1, 1])).exact_fields()
        >>> [(str(r.pattern), r.volume(), r.witness) for r in part]
        [('0', Fraction(1, 2), (Fraction(1, 3), Fraction(2, 3))), ('1', Fraction(1, 2), (Fraction(2, 3), Fraction(1, 3)))]
        """
        with gc_paused():
            for r in self:
                _ = (r.affine_map, r.witness, r.volume(), getattr(r, "vertices", None))  # computed, kept on r
        return self

    def summary(self) -> dict:
        """Count, per-layer counts, exact total/min/max volume, and in 2-D the vertex-degree histogram."""
        vols = self.volumes()
        out = {"count": len(self), "partial": self.partial, "per_layer": self.per_layer_counts(),
               "volume": sum(vols, Fraction(0)), "min_volume": min(vols, default=None),
               "max_volume": max(vols, default=None), "adjacencies": len(self.adjacencies())}
        if self.dim == 2:
            degrees = self.vertex_degrees()
            out["vertices"] = len(degrees)
            out["vertex_degrees"] = dict(sorted(Counter(degrees.values()).items()))
        return out

    def decision_boundary(self, level: Any = None, smallest: bool = False) -> list:
        """The exact pieces of the decision boundary, or of the level set {N = level} for a scalar output.

        See :func:`exactrelu.regions.boundary.decision_boundary` (in 2-D each piece has an exact ``segment``).
        """
        return decision_boundary(self, level, smallest)

    # ------------------------------------------------------------------ JSON
    def to_json(self, vertices: bool = True) -> dict:
        """The partition as JSON (format ``exactrelu.regions`` version 2): network, box, slice, partial, regions."""
        net = self.net.to_json() if self.net is not None else self._network_json
        box = {"lower": [fraction_str(v) for v in self.box.lower], "upper": [fraction_str(v) for v in self.box.upper]}
        return envelope(PARTITION_FORMAT, PARTITION_VERSION, network=net, box=box,
                        slice=self.slice.to_json() if self.slice is not None else None, partial=self.partial,
                        limit=self.limit, regions=[r.to_json(vertices=vertices) for r in self])

    def save(self, path: str | Path) -> None:
        """Write :meth:`to_json` to ``path`` (a temporary file renamed over it: never half-written)."""
        write_json(self.to_json(), path)

    @classmethod
    def from_json(cls, source: Any) -> "Partition":
        """A partition from a path, JSON string or dict written by :meth:`to_json` (or ``regions --json``).

        The network stays JSON (``network_json``; rebuild it with ``Network.from_json``);
        regions are read exactly and their vertices checked (see :meth:`Region.from_json`).
        """
        keys = {"network", "box", "slice", "partial", "limit", "regions"}
        data = read_envelope(source, "regions", PARTITION_FORMAT, PARTITION_VERSION, keys, ("network", "box", "regions"))
        box = data["box"]
        if not isinstance(box, dict) or set(box) != {"lower", "upper"}:
            raise ValueError("regions JSON: 'box' must be an object with keys 'lower' and 'upper'")
        if not isinstance(data["regions"], list):
            raise ValueError("regions JSON: 'regions' must be a list")
        partial = data.get("partial", False)
        if not isinstance(partial, bool):
            raise ValueError(f"regions JSON: 'partial' must be true or false, got {partial!r}")
        lower, upper = to_vector(box["lower"], "regions JSON: box lower"), to_vector(box["upper"], "regions JSON: box upper")
        found = []
        for i, r in enumerate(data["regions"]):
            try:
                found.append(Region.from_json(r))
            except ValueError as exc:
                raise ValueError(f"regions JSON: region {i}: {exc}") from None
            if found[-1].polyhedron.dim != len(lower) or len(found[-1].witness) != len(lower):
                raise ValueError(f"regions JSON: region {i}: its polyhedron or witness is not of the box's dimension "
                                 f"{len(lower)}")
        sl = data.get("slice")
        return cls(found, box=Box(lower, upper),
                   slice=Slice.from_json(sl) if sl is not None else None, partial=partial,
                   limit=data.get("limit"), network_json=data["network"])

    @classmethod
    def load(cls, path: str | Path) -> "Partition":
        """Read a partition file (see :meth:`from_json`)."""
        return cls.from_json(Path(path))

    @property
    def network_json(self) -> dict | None:
        """The network the regions belong to, as JSON."""
        return self.net.to_json() if self.net is not None else self._network_json

    def check(self, net: Any) -> bool:
        """Re-verify every region against ``net`` (:meth:`Region.check`) and, when complete, that they tile the box."""
        for r in self:
            r.check(net)
        if not self.partial and sum(self.volumes(), Fraction(0)) != self.box.volume():
            from ..exact.errors import VerificationError

            raise VerificationError("the regions' volumes do not add up to the box's")
        return True

