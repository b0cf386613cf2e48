"""OpenTelemetry traces through opentelemetry-instrumentation-httpx: one span per
attempt, through an instrumented `http_client` or global instrumentation."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from fluidstack_client import AsyncFluidstack, Fluidstack, RetryPolicy
from fluidstack_client.testing import FakeServer

FAST = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.01)


@pytest.fixture
def spans() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider, exporter
    provider.shutdown()


def _statuses(finished: tuple[ReadableSpan, ...]) -> list[object]:
    return [span.attributes.get("http.status_code") for span in finished if span.attributes]


def test_an_instrumented_http_client_gives_one_span_per_attempt(
    served_fake: FakeServer, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = spans
    http = httpx.Client()
    HTTPXClientInstrumentor.instrument_client(http, tracer_provider=provider)
    served_fake.fake.fail_next(2, status=503, route="ListClusters")
    with Fluidstack(
        "fake-token", base_url=served_fake.base_url, http_client=http, retry_policy=FAST
    ) as fs:
        clusters = fs.clusters.list()
    http.close()
    assert [c.name for c in clusters] == ["train-k8s", "hpc-slurm"]
    finished = exporter.get_finished_spans()
    assert [span.name for span in finished] == ["GET"] * 3
    assert _statuses(finished) == [503, 503, 200]
    for span in finished:
        assert "fake-token" not in str(span.to_json())


async def test_global_instrumentation_covers_the_clients_own_pools(
    served_fake: FakeServer, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = spans
    instrumentor = HTTPXClientInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        served_fake.fake.fail_next(1, status=500, route="ListKeys")
        async with AsyncFluidstack(
            "fake-token", base_url=served_fake.base_url, retry_policy=FAST
        ) as fs:
            await fs.keys.list()
            await fs.keys.register(name="laptop", key="ssh-ed25519 AAAA laptop")
    finally:
        instrumentor.uninstrument()
    finished = exporter.get_finished_spans()
    assert [span.name for span in finished] == ["GET", "GET", "POST"]
    assert _statuses(finished) == [500, 200, 200]
