"""Contains endpoint functions for accessing the API"""

# (METHOD, path template, operationId, documented 2xx statuses, those with a body)
OPERATIONS: tuple[tuple[str, str, str, tuple[int, ...], tuple[int, ...]], ...] = (
    ("GET", "/organizations", "list_organizations", (200,), (200,)),
)
