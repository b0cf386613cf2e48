"""Contains endpoint functions for accessing the API"""

# (METHOD, path template, operationId, documented 2xx statuses, those with a body,
#  those the spec marks inferred)
OPERATIONS: tuple[
    tuple[str, str, str, tuple[int, ...], tuple[int, ...], tuple[int, ...]], ...
] = (
    ("GET", "/user/keys", "list_keys", (200,), (200,), ()),
    ("POST", "/user/keys", "register_key", (200,), (), ()),
    ("DELETE", "/user/keys/{name}", "deregister_key", (204,), (), ()),
)
