"""What the tests of the fake's regional API share: the names of a region's default
instance types, a project no fake has, and a fake with one region whose contents a test
reads at a glance. (The regional spec itself: tests/support/client_region.py.)"""

from __future__ import annotations

from typing import Any

from fluidstack_client.testing import FakeAPI

H100 = "h100-80gb-sxm"  # the default instance types of a fake's region
H100_8X = "h100-hgx-80gb.8x"
OTHER_PROJECT = "3a9c1e7f-0b2d-4e6f-8a1c-5d7e9f1b3c5e"  # a project no fake has


def one_region_fake(**options: Any) -> FakeAPI:
    """A fake with one region, `us-east-1`, holding no instances, and whatever
    `options` add (`regions=` overrides the region's offer)."""
    options.setdefault("regions", ["us-east-1"])
    options.setdefault("instances", [])
    return FakeAPI(token="t0k", **options)
