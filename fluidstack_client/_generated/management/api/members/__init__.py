"""Contains endpoint functions for accessing the API"""

# (METHOD, path template, operationId, documented 2xx statuses, those with a body,
#  those the spec marks inferred)
OPERATIONS: tuple[
    tuple[str, str, str, tuple[int, ...], tuple[int, ...], tuple[int, ...]], ...
] = (
    ("GET", "/members", "list_members", (200,), (200,), ()),
    ("DELETE", "/members/{id}", "delete_member", (204,), (), ()),
    ("PATCH", "/members/{id}", "update_member", (200,), (), ()),
)
