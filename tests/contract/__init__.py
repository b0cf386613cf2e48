"""Judges we did not write: Prism, schemathesis, property-based parsing."""
