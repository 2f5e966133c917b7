"""The ``softmaxkit`` command: a shared base and one module per command."""
