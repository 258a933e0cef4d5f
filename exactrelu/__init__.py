"""exactrelu: exact reasoning about deep ReLU networks.

Exact evaluation, activation patterns and the explicit expression (T1),
exact activation domains and linear regions, and certificates of convergence
or divergence as depth tends to infinity (Xu and Zhang, "Convergence of deep
ReLU networks", Neurocomputing 2024).  See ../shared/THEORY.md and proofs/.

Public names are imported lazily, so ``import exactrelu`` stays fast and the
optional extras (scipy, torch, onnx) load only when used.

>>> import exactrelu
>>> net = exactrelu.Network([([[1, -1], [1, 1]], [0, 0])])
>>> net([2, 1])
(Fraction(1, 1), Fraction(3, 1))
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "to_fraction": "exact.numbers",
    "Pattern": "nets.pattern",
    "Network": "nets.network",
    "Polyhedron": "exact.polyhedron",
    "Box": "exact.polyhedron",
    "Region": "regions",
    "Partition": "regions",
    "Slice": "nets.slice",
    "Activation": "nets.activation",
    "build": "nets.build",
    "decision_boundary": "regions.boundary",
    "count_regions": "regions",
    "RegionLimitExceeded": "regions",
    "n": "depth.family",
    "Family": "depth.family",
    "summability": "depth.series",
    "SeriesCertificate": "depth.series",
    "infinite_product": "depth.products",
    "activation_product": "depth.products",
    "ProductCertificate": "depth.products",
    "ActivationProductCertificate": "depth.products",
    "certify": "depth.certifier",
    "Certificate": "depth.certificate",
    "CertificateError": "depth.certificate",
    "check": "depth.checker",
    "VerificationError": "exact.errors",
    "get_context": "nets.contexts",
    "register_context": "nets.contexts",
    "evaluate": "numeric.evaluation",
    "crosscheck": "numeric.evaluation",
    "limit": "numeric.evaluation",
    "load": "interop.io",
    "save": "interop.io",
    "from_torch": "interop.io",
    "to_torch": "interop.io",
    "verify": "verification.decide",
    "Property": "vnnlib",
}

_MODULES = ("regions", "oracle", "testing", "plot", "vnnlib")  # public submodules, also imported lazily

__all__ = sorted(_EXPORTS) + list(_MODULES)


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return importlib.import_module(f".{name}", __name__)
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'exactrelu' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list:
    return __all__
