"""Numba kernels: plain arrays and scalars in, arrays out. Inputs are trusted (validated above)."""
