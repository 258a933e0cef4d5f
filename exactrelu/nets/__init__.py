"""Networks with exact weights: the Network class, activation patterns and their affine maps (T1)."""
