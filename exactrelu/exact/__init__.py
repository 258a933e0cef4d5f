"""Exact arithmetic and geometry: numbers converted once, JSON with exact decimals, polynomial signs, polyhedra and a verified LP."""
