"""Contains endpoint functions for accessing the API"""

# (METHOD, path template, operationId, documented 2xx statuses, those with a body,
#  those the spec marks inferred)
OPERATIONS: tuple[
    tuple[str, str, str, tuple[int, ...], tuple[int, ...], tuple[int, ...]], ...
] = (
    ("GET", "/filesystems", "list_filesystems", (200,), (200,), ()),
    ("POST", "/filesystems", "create_filesystem", (201,), (201,), ()),
    ("GET", "/filesystems/{id}", "get_filesystem", (200,), (200,), ()),
    ("DELETE", "/filesystems/{id}", "delete_filesystem", (204,), (), (204,)),
)
