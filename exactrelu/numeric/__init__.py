"""Numerics: one forward pass over number contexts (exact, numpy, mpmath, arb), rigorous float error bounds, cross-checks and limits."""
