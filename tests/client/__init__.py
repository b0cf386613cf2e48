"""The HTTP client: configuration, the send path and what it guarantees."""
