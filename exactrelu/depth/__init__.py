"""Infinite depth: families of layers in n, summability, infinite products and the certifier (untrusted: it proposes, the kernel checks)."""
