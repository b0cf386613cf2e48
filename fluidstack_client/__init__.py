"""Python client for the Fluidstack Atlas Management API (v1alpha1)."""

from ._version import __version__

__all__ = ["__version__"]
