"""The trusted kernel (entry :func:`exactrelu.kernel.checker.check`); proofs/README.md, "The trusted kernel"."""
