"""Contains endpoint functions for accessing the API"""

# (METHOD, path template, operationId, documented 2xx statuses, those with a body,
#  those the spec marks inferred)
OPERATIONS: tuple[
    tuple[str, str, str, tuple[int, ...], tuple[int, ...], tuple[int, ...]], ...
] = (
    ("GET", "/projects", "list_projects", (200,), (200,), ()),
    ("POST", "/projects", "create_project", (201,), (201,), ()),
    ("GET", "/projects/{id}", "get_project", (200,), (200,), ()),
    ("DELETE", "/projects/{id}", "delete_project", (204,), (), (204,)),
)
