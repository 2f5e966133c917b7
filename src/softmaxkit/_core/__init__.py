"""Foundations that import nothing of the package: settings, validation (one message per
error), the compensated numerics written once against the array API, array-library
detection, atomic writes, data files."""
