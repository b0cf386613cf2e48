"""The shared client module: the Management API's"""

from ..management.client import AuthenticatedClient, Client

__all__ = ["AuthenticatedClient", "Client"]
