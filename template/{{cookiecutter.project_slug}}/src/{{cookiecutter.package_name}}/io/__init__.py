"""Side effects: data files, parameters and the model registry, built on ``core``."""
