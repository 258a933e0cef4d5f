"""Numerics: evaluation in several number contexts, rigorous float error bounds, cross-checks and limits.

The forward kernel and the contexts themselves (exact, numpy, mpmath, arb) live in
:mod:`exactrelu.nets.contexts`, below this layer, because Network and the infinite-depth
code evaluate through them too.
"""
