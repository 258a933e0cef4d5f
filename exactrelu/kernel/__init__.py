"""The trusted kernel: the certificate checker and everything it imports (stdlib and python-flint only).

See proofs/README.md, section "The trusted kernel", for what it trusts and checks.
The entry point is :func:`exactrelu.kernel.checker.check`.
"""
