"""Networks with exact weights: the Network class, activation patterns, their affine maps (T1, ``affine``),
and the one forward kernel over number contexts (``contexts``)."""
