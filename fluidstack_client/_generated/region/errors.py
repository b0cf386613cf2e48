"""The shared errors module: the Management API's"""

from ..management.errors import UnexpectedStatus

__all__ = ["UnexpectedStatus"]
