"""The two client classes, for checks that do not depend on the client kind (a
constructor's refusal, a default) and so run once over both, not through a derived
sync twin. Kept out of the test modules: a derived twin would read `[Fluidstack,
Fluidstack]`."""

from __future__ import annotations

from fluidstack_client import AsyncFluidstack, Fluidstack

ClientClass = type[Fluidstack] | type[AsyncFluidstack]
CLIENTS: list[ClientClass] = [Fluidstack, AsyncFluidstack]
