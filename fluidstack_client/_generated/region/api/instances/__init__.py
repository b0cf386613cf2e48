"""Contains endpoint functions for accessing the API"""

# (METHOD, path template, operationId, documented 2xx statuses, those with a body,
#  those the spec marks inferred)
OPERATIONS: tuple[
    tuple[str, str, str, tuple[int, ...], tuple[int, ...], tuple[int, ...]], ...
] = (
    ("GET", "/instances", "list_instances", (200,), (200,), ()),
    ("POST", "/instances", "create_instance", (201,), (201,), ()),
    ("GET", "/instances/{id}", "get_instance", (200,), (200,), ()),
    ("DELETE", "/instances/{id}", "delete_instance", (204,), (), (204,)),
    ("POST", "/instances/{id}/actions/start", "start_instance", (202,), (), (202,)),
    ("POST", "/instances/{id}/actions/stop", "stop_instance", (202,), (), (202,)),
)
