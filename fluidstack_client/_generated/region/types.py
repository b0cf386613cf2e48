"""The shared types: the Management API's (see its types.py)"""

from ..management.types import (
    GC_PAUSE_MIN_BYTES,
    UNSET,
    File,
    FileTypes,
    RequestFiles,
    Response,
    Unset,
    decode_base64,
    encode_base64,
    gc_paused,
    http_status,
    loads,
    parse_enum,
    parse_uuid,
)

__all__ = [
    "GC_PAUSE_MIN_BYTES",
    "UNSET",
    "File",
    "FileTypes",
    "RequestFiles",
    "Response",
    "Unset",
    "decode_base64",
    "encode_base64",
    "gc_paused",
    "http_status",
    "loads",
    "parse_enum",
    "parse_uuid",
]
