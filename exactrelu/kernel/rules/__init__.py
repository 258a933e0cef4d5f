"""The rule registry: one module per theorem rule, each exporting ``RULE`` (common.Rule); the checker
dispatches through :data:`RULES` only.  Adding a rule: its module here, its name below, its proof, its tests.

>>> sorted(RULES), RULES["T6"].proof
(['P1', 'T2', 'T3', 'T4', 'T6', 'T6b', 'T7a', 'T7b', 'T7c', 'T7d'], 'proofs/T6_stationary_contraction.md')
"""

from __future__ import annotations

from . import p1, t2, t3, t4, t6, t6b, t7a, t7b, t7c, t7d

_MODULES = (t2, t3, t4, t6, t6b, p1, t7a, t7b, t7c, t7d)
RULES = {m.RULE.name: m.RULE for m in _MODULES}
