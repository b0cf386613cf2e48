"""Credentials: each source of a token, and keeping secrets out of output."""
