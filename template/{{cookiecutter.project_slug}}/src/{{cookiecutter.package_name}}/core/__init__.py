"""Pure domain logic: the feature specification, schemas, model and metrics.

Nothing here reads files, talks to services or prints; ``io`` and ``jobs`` build on it.
"""
