"""If sum_n ||W_n - I|| < inf, the products D_K W_K ... D_start W_start converge as K -> inf for every
sequence of activation matrices D_n (diagonal, entries 0 or 1); no rate uniform in (D_n) is claimed."""

from __future__ import annotations

from .common import Rule
from .t2 import summable_deviation

RULE = Rule("T3", "converges", "proofs/T3_activation_products.md", __doc__, {"A_series": "serieslist"},
            summable_deviation, scope="everywhere", product=True)
