"""A secret canary (reliability.md G6): run flows with failures at DEBUG level and look for every secret.

The sandbox gives each fake unique credentials (the HubSpot token, the Salesforce client secret and the
access tokens it issues, the Marketo client secret and its tokens). After runs full of refusals, faults,
token expiry, a quota stop and refused credentials, no secret may appear, raw, URL-encoded or in base64,
in the log output, the CLI's output, any table of the state store, or any outcome or exception message.
"""

from __future__ import annotations

import base64
import urllib.parse

from sqlalchemy import select

from connector.config import load_config
from connector.errors import RevloopError
from connector.flows.runner import run_flow
from connector.logs import setup_logging
from connector.sandbox.framework import Fault
from connector.state.tables import metadata

HOT = {"hubspotscore": 90}
PAGE_VIEW, FORM_FILL, LINK_CLICK = 1, 2, 3


def secret_values(env) -> set[str]:
    values = {env.hs.static_token, env.sf.client_credentials[1], env.mk.client_secret}
    values |= {token for token in env.sf.tokens if token != env.sf.static_token}
    values |= {token for token in env.mk.tokens if token != env.mk.static_token}
    assert len(values) >= 5  # the three configured secrets and at least one issued token per login
    return values


def encodings(secret: str, client_id: str) -> set[str]:
    raw = secret.encode()
    forms = {
        secret,
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()  # an HTTP Basic header
    forms.add(basic.rstrip("="))
    return {form for form in forms if len(form) >= 8}


def store_text(env) -> str:
    parts = []
    with env.engine.connect() as connection:
        for table in metadata.sorted_tables:
            parts += [repr(dict(row._mapping)) for row in connection.execute(select(table))]
    return "\n".join(parts)


def seed_trouble(env) -> None:
    """HubSpot contacts and Marketo leads that succeed, get refused, or fail to map."""
    env.contacts(
        [
            {"email": "canary.ok@example.com", "lastname": "Ok", "company": "C", **HOT},
            {"email": "canary,bad@example.com", "lastname": "Bad", "company": "C", **HOT},
            {"email": "canary.phone@example.com", "lastname": "Phone", "phone": "電話番号なし", **HOT},
        ]
    )
    lead = env.lead(email="canary@example.jp", lastName="Mk", company="M", leadScore=10)
    for activity_type, value in (
        (PAGE_VIEW, "/pricing"),
        (PAGE_VIEW, "/pricing"),
        (LINK_CLICK, "case-study"),
    ):
        env.mk.add_activity(lead, activity_type, value)
    env.mk.add_activity(lead, FORM_FILL, "Contact Us")
    env.lead(email="canary.bad@example", lastName="Bad", company="M", leadScore=90, leadSource="Podcast")


def run_with_failures(env) -> list[str]:
    """Runs through faults, token expiry, a quota stop and refused credentials; returns their messages."""
    messages = []
    env.sf.set_knobs(
        faults=[
            Fault(nth=1, kind="500", endpoint="collections_upsert"),
            Fault(nth=2, kind="drop", endpoint="collections_upsert"),
        ]
    )
    env.hs.set_knobs(faults=[Fault(nth=1, kind="429", endpoint="batch_update")])
    env.mk.set_knobs(token_ttl_s=0.2, latency_ms=60)  # Marketo tokens expire mid-run: 602, then a refresh
    for flow in ("handoff", "marketo_handoff", "handoff", "marketo_handoff"):
        messages.append(env.run(flow).message)
    env.mk.set_knobs(token_ttl_s=3600, latency_ms=0)
    env.contact(email="canary.quota@example.com", lastname="Quota", company="Q", **HOT)
    env.sf.set_knobs(daily_quota=env.sf.day_calls + 2)
    messages.append(env.run().message)
    env.sf.set_knobs(daily_quota=100_000)
    token_file = env.config_path.parent / "secrets" / "hubspot-token"
    real_token = token_file.read_text()
    token_file.write_text(env.sf.client_credentials[1] + "x\n")  # a wrong token near a real secret
    try:
        messages.append(run_flow(load_config(env.config_path), "handoff", engine=env.engine).message)
    except RevloopError as exc:
        messages.append(str(exc))
    finally:
        token_file.write_text(real_token)
    return messages


def test_no_secret_leaks_anywhere(env, capsys) -> None:
    setup_logging("DEBUG")
    seed_trouble(env)

    messages = run_with_failures(env)
    cli_outputs = [
        env.cli("--log-level", "DEBUG", "run", "handoff", "marketo_handoff"),
        env.cli("config", "check"),
        env.cli("errors", "list"),
        env.cli("errors", "list", "--all", "--json"),
        env.cli("errors", "show", str(env.errors()[0]["id"])),
        env.cli("runs"),
        env.cli("status"),
    ]
    captured = capsys.readouterr()

    assert env.errors(), "the canary needs failures to look at"
    assert any(run["status"] != "ok" for run in env.runs())
    haystacks = {
        "log output": captured.err + captured.out,
        "CLI output": "\n".join(result.stdout + result.stderr for result in cli_outputs),
        "state store": store_text(env),
        "run messages": "\n".join(messages),
    }
    client_ids = (env.sf.client_credentials[0], env.mk.client_id)
    leaks = {
        where
        for secret in secret_values(env)
        for client_id in client_ids
        for form in encodings(secret, client_id)
        for where, text in haystacks.items()
        if form in text
    }
    assert leaks == set(), "a secret leaked (the message names where, never the secret)"
    assert "DEBUG" in captured.err  # the logs really were captured at DEBUG level
