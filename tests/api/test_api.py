"""``/api/v1`` on a real server: tokens, tenant scope, leads and transcripts, OpenAPI fuzzing."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.leads.chats import DANA, FAST_LADDER, unanswered_chat
from tests.support.server_process import ServerProcess

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


async def test_leads_and_conversations_through_the_api(
    start_server: Callable[..., ServerProcess],
) -> None:
    server = start_server(FAST_LADDER)
    conversation = await unanswered_chat(server, DANA)
    token = server.admin("create-api-token", "--dealership", "demo-motors", "--name", "crm")
    auth = {"Authorization": f"Bearer {token.strip()}"}
    server.admin(
        "create-dealership",
        "--slug",
        "other",
        "--name",
        "Other Cars",
        "--time-zone",
        "America/Denver",
        "--origin",
        "http://other.example",
    )
    other = server.admin("create-api-token", "--dealership", "other", "--name", "crm").strip()

    async with httpx.AsyncClient(base_url=server.url + "/api/v1") as api:
        assert (await api.get("/leads")).status_code == 401
        bad = await api.get("/leads", headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401 and bad.json()["error"] == "unauthorized"

        [lead] = (await api.get("/leads", headers=auth)).json()["leads"]
        assert (lead["name"], lead["phone"], lead["status"], lead["service"]) == (
            "Dana Shopper",
            "+13125550100",
            "new",
            "unanswered",
        )
        assert (await api.get("/leads?status=sold", headers=auth)).json()["leads"] == []
        assert (await api.get("/leads?status=nope", headers=auth)).status_code == 400

        detail = (await api.get(f"/leads/{lead['id']}", headers=auth)).json()
        assert detail["conversations"][0]["messages"][0]["body"] == "Is it there?"
        assert detail["tasks"][0]["step"] == 0

        lost = await api.patch(f"/leads/{lead['id']}", headers=auth, json={"status": "lost"})
        assert lost.status_code == 400 and "why" in lost.json()["message"]
        changed = await api.patch(
            f"/leads/{lead['id']}",
            headers=auth,
            json={"status": "lost", "reason": "bought elsewhere"},
        )
        assert changed.status_code == 200
        assert (changed.json()["status"], changed.json()["status_reason"]) == (
            "lost",
            "bought elsewhere",
        )

        chats = (await api.get("/conversations?outcome=missed", headers=auth)).json()
        assert [c["id"] for c in chats["conversations"]] == [conversation]
        transcript = (await api.get(f"/conversations/{conversation}", headers=auth)).json()
        assert transcript["messages"][0]["author_kind"] == "visitor"

        # Another dealership's token sees none of it, and cannot tell it exists.
        theirs = {"Authorization": f"Bearer {other}"}
        assert (await api.get("/leads", headers=theirs)).json()["leads"] == []
        assert (await api.get(f"/leads/{lead['id']}", headers=theirs)).status_code == 404
        assert (await api.get(f"/conversations/{conversation}", headers=theirs)).status_code == 404

        document = (await api.get("/openapi.json")).json()
        assert document["openapi"].startswith("3.") and "/leads/{lead_id}" in document["paths"]

    # schemathesis against the served document: no input makes the server answer 5xx.
    result = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{server.url}/api/v1/openapi.json",
            "--url",
            f"{server.url}/api/v1",
            "--checks",
            "not_a_server_error",
            "--header",
            f"Authorization: Bearer {token.strip()}",
            "--max-examples",
            "40",
            "--seed",
            "5",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout and " passed" in result.stdout
