"""The service's settings, model loading and monitoring."""
