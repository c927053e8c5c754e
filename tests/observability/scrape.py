"""Reading a real server's ``/metrics`` in tests."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support.inprocess import InProcessServer
from tests.support.server_process import ServerProcess


class Samples:
    """One scrape: every sample by name and labels."""

    def __init__(self, text: str) -> None:
        self.values: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                key = (sample.name, frozenset(sample.labels.items()))
                self.values[key] = sample.value

    def __call__(self, name: str, **labels: str) -> float:
        """The value of one sample; a missing one is an error, not a silent 0."""
        key = (name, frozenset(labels.items()))
        assert key in self.values, f"no sample {name}{labels}"
        return self.values[key]


async def scrape(server: ServerProcess | InProcessServer) -> Samples:
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return Samples(response.text)
