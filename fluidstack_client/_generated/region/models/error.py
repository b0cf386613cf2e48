"""The Management API's Error model (the shape is the same)"""

from ...management.models.error import Error

__all__ = ["Error"]
