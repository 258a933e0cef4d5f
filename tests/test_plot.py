"""Pictures: exactrelu.plot draws the exact polygons and boundary; 'exactrelu plot' writes PNG/SVG files."""

import pytest

from exactrelu import Network
from exactrelu.cli import main
from exactrelu.nets.slice import Slice
from exactrelu.regions.boundary import _area2 as _area, argmax_cells

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
from exactrelu import plot  # noqa: E402  (after the matplotlib skip)

NET = Network([([[1, 0], [0, 1], [1, 1]], [0, 0, -1])], output=([[1, -1, 1], [0, 1, 0]], [0, 0]))


@pytest.mark.parametrize("color_by", ["pattern", "output", "gradient norm"])
def test_regions_draws_one_polygon_per_region_with_exact_corners(color_by):
    part = NET.regions(([-1, -1], [1, 1]))
    ax = plot.regions(part, color_by=color_by)
    faces, borders, lines = ax.collections
    for path, r in zip(borders.get_paths(), part):
        corners = {tuple(p) for p in path.vertices.tolist()}
        assert corners == {(float(x), float(y)) for x, y in r.vertices}
    assert len(borders.get_paths()) == len(part) and len(lines.get_segments()) == len(part.decision_boundary())
    if color_by == "output":  # a classifier: the faces are the exact cells of each class in each region
        cells = [cell for r in part for _, cell in argmax_cells(r)]
        assert len(faces.get_paths()) == len(cells) > len(part)
        assert sum(abs(_area(c)) for c in cells) == 8  # twice the box's area: the cells tile it exactly
    else:
        assert len(faces.get_paths()) == len(part)
    assert ax.get_xlim() == (-1.0, 1.0) and ax.get_xlabel() == "x0"
    matplotlib.pyplot.close(ax.figure)


def test_colours_are_stable_per_pattern():
    part = NET.regions(([-1, -1], [1, 1]))
    a = plot.regions(part, boundary=False).collections[0].get_facecolors()
    b = plot.regions(list(reversed(part)), boundary=False, edges=False).collections[0].get_facecolors()
    assert [tuple(c) for c in a] == [tuple(c) for c in reversed(b)]
    assert len({tuple(c) for c in a}) == len(part)
    matplotlib.pyplot.close("all")


def test_slices_are_drawn_in_t_and_other_dimensions_are_refused():
    net = Network([([[1, 0, 0], [0, 1, 0], [1, 1, 1]], [0, 0, "-1/2"])])
    ax = plot.regions(net.regions(Slice.through_points([-1, -1, 0], [1, -1, 0], [-1, 1, 0])), edges=False)
    assert ax.get_xlabel() == "t0"
    with pytest.raises(ValueError, match="draws 2-D partitions; this one has dimension 3"):
        plot.regions(net.regions(([-1] * 3, [1] * 3)))
    with pytest.raises(ValueError, match="color_by must be one of"):
        plot.regions(net.regions(Slice.through_points([-1, -1, 0], [1, -1, 0], [-1, 1, 0])), color_by="rainbow")
    matplotlib.pyplot.close("all")


def test_cli_plot_writes_png_and_svg(tmp_path, capsys):
    NET.to_json(tmp_path / "net.json")
    for name in ("f.png", "f.svg"):
        assert main(["plot", str(tmp_path / "net.json"), "-o", str(tmp_path / name), "--box", "-1,1"]) == 0
    assert (tmp_path / "f.png").read_bytes().startswith(b"\x89PNG")
    assert b"<svg" in (tmp_path / "f.svg").read_bytes()[:2000]


def test_cli_plot_of_a_slice_and_bad_input(tmp_path, capsys):
    net = Network([([[1, 0, 0], [0, 1, 0], [1, 1, 1]], [0, 0, "-1/2"])], output=([[1, 1, -1]], [0]))
    net.to_json(tmp_path / "net.json")
    (tmp_path / "pts.txt").write_text("-1 -1 0\n1 -1 0\n-1 1 0\n")
    run = ["plot", str(tmp_path / "net.json")]
    assert main(run + ["--slice", str(tmp_path / "pts.txt"), "-o", str(tmp_path / "s.png"), "--level", "1/2"]) == 0
    assert "linear regions; wrote" in capsys.readouterr().err
    for argv, message in [
        (["-o", str(tmp_path / "x.png")], "the network has 3 inputs: give a 2-D --slice"),
        (["-o", str(tmp_path / "x.jpg"), "--slice", str(tmp_path / "pts.txt")], "must end in .png, .svg or .pdf"),
        (["-o", str(tmp_path / "no" / "x.png")], "does not exist"),
        (["-o", str(tmp_path / "x.png"), "--slice", str(tmp_path / "pts.txt"), "--level", "q"], "level"),
    ]:
        assert main(run + argv) == 2
        assert message in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()  # nothing written on bad input
    assert main(run + ["-o", str(tmp_path / "x.png"), "--slice", str(tmp_path / "pts.txt"), "--max-regions", "1"]) == 1
    assert not (tmp_path / "x.png").exists()
