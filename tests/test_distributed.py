"""Regions on a Dask distributed cluster: ``executor=`` takes the cluster's concurrent.futures executor.

The test starts a local cluster of two worker processes, enumerates through
``client.get_executor()`` and stops the cluster; the regions must be those
of the serial run.  Pointing at a real cluster is the same code with
``Client("tcp://scheduler:8786")``.  Needs ``distributed`` (dask's).
"""

import os

import pytest

from exactrelu import Network
from exactrelu.nets.slice import Slice


def test_regions_through_a_dask_local_cluster():
    distributed = pytest.importorskip("distributed")
    net = Network([([[1, 0, 1], [0, 1, -1], [1, 1, 0], [1, -1, "1/2"]], [0, "1/3", -1, 0]),
                   ([[1, -1, 1, 0], [0, 1, 1, -1]], [0, "-1/2"])], output=([[1, 2]], [0]))
    box = ([-1] * 3, [1] * 3)
    serial = net.regions(box, method="general")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            executor = client.get_executor()
            submitted = []
            submit = executor.submit
            executor.submit = lambda fn, *a, **k: submitted.append(fn) or submit(fn, *a, **k)
            on_cluster = net.regions(box, executor=executor)
            workers = client.run(os.getpid)  # the tasks ran in two other processes
            sliced = net.regions(Slice.through_points([-1, -1, 0], [1, 0, 0], [0, 1, 1]),
                                 executor=client.get_executor())
    assert submitted and len(set(workers.values())) == 2 and os.getpid() not in workers.values()
    assert [r.pattern for r in on_cluster] == [r.pattern for r in serial]
    assert [r.affine_map for r in on_cluster] == [r.affine_map for r in serial]
    assert sum(r.volume() for r in on_cluster) == 8 and len(serial) > 5
    assert sliced.slice is not None and sum(r.volume() for r in sliced) == sliced.box.volume()
