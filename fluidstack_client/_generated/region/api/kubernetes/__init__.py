"""Contains endpoint functions for accessing the API"""

# (METHOD, path template, operationId, documented 2xx statuses, those with a body,
#  those the spec marks inferred)
OPERATIONS: tuple[
    tuple[str, str, str, tuple[int, ...], tuple[int, ...], tuple[int, ...]], ...
] = (
    ("GET", "/kubernetes/clusters", "list_kubernetes_clusters", (200,), (200,), ()),
    ("GET", "/kubernetes/node-pools", "list_kubernetes_node_pools", (200,), (200,), ()),
)
