"""The sync twins of the async tests, derived by scripts/unasync.py: never edit here.

Each `tests/<area>/test_x.py` holding `async def` tests has a derived copy at
`tests/_sync/<area>/test_x.py` that runs the same scenarios through `Fluidstack`.
`make generate` writes them; `make check-generated` fails when one is stale.
"""
