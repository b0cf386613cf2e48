"""Contains endpoint functions for accessing the API"""

# (METHOD, path template, operationId, documented 2xx statuses)
OPERATIONS: tuple[tuple[str, str, str, tuple[int, ...]], ...] = (
    ("GET", "/regions", "list_regions", (200,)),
)
