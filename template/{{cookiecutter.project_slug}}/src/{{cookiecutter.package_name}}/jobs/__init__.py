"""One module per job; each reads its inputs, calls ``core`` and writes its outputs."""
