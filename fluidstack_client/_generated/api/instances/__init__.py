"""Contains endpoint functions for accessing the API"""

# (METHOD, path template, operationId, documented 2xx statuses)
OPERATIONS: tuple[tuple[str, str, str, tuple[int, ...]], ...] = (
    ("GET", "/instances", "list_instances", (200,)),
    ("GET", "/instances/{id}", "get_instance", (200,)),
)
