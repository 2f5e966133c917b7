"""The public functions: validate, resolve the backend, call it."""
