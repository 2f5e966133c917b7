"""Computation on validated input, one module per backend (native, reference, xp, dask),
and the registry that says which backend implements which operation."""
