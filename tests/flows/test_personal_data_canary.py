"""A personal-data canary for ``[state] store_personal_data = false``: refused records carry unique names,
emails and phone numbers; none of them may appear in the sync-error rows, the runs' messages or what
`errors list --json` and `errors show` export, while the masked forms let an admin recognise them."""

from __future__ import annotations

import json

from sqlalchemy import select

from connector.state.tables import runs, sync_errors

HOT = {"hubspotscore": "90"}
PERSONAL = {
    "pd.canary,bad@example.com",
    "pd.canary",
    "Kazuhiro",
    "Tsukimori",
    "9043218765",
    "4321 8765",
    "Hoshizora",
    "pd.phone@example.com",
    "pd.mk.bad@example",
    "Kitakaze",
}


def seed_refusals(env) -> None:
    env.contacts(
        [
            {
                "email": "pd.canary,bad@example.com",
                "firstname": "Kazuhiro",
                "lastname": "Tsukimori",
                "phone": "+81 90 4321 8765",
                "company": "PD Co",
                **HOT,
            },
            {
                "email": "pd.phone@example.com",
                "lastname": "Hoshizora",
                "phone": "電話番号なし",
                "company": "PD",
                **HOT,
            },
        ]
    )
    env.lead(email="pd.mk.bad@example", lastName="Kitakaze", company="M", leadScore=90, leadSource="Podcast")


def with_personal_data_masked(env) -> None:
    text = env.config_path.read_text()
    env.config_path.write_text(text.replace("[state]\n", "[state]\nstore_personal_data = false\n", 1))


def stored_error_text(env) -> str:
    with env.engine.connect() as connection:
        rows = [repr(dict(row._mapping)) for row in connection.execute(select(sync_errors))]
        rows += [str(message) for message in connection.execute(select(runs.c.message)).scalars()]
    return "\n".join(rows)


def exported(env) -> str:
    listing = env.cli("errors", "list", "--all", "--json")
    shown = [env.cli("errors", "show", str(row["id"])) for row in env.errors()]
    table = env.cli("errors", "list", "--all")
    assert listing.code == table.code == 0 and all(result.code == 0 for result in shown)
    return "\n".join(result.stdout for result in (listing, table, *shown))


def test_no_personal_value_is_stored_or_exported(env) -> None:
    with_personal_data_masked(env)
    seed_refusals(env)

    env.run("handoff")
    env.run("marketo_handoff")

    assert len(env.errors()) >= 3, "the canary needs refused records to look at"
    haystacks = {"sync_errors and runs": stored_error_text(env), "errors exports": exported(env)}
    leaks = {(value, where) for value in PERSONAL for where, text in haystacks.items() if value in text}
    assert leaks == set()
    payloads = [row["payload"] for row in env.errors() if row["payload"]]
    assert {"Email": "p***@e***.com", "FirstName": "K***", "LastName": "T***"}.items() <= next(
        p for p in payloads if p.get("LastName") == "T***"
    ).items()
    exports = [json.loads(line) for line in env.cli("errors", "list", "--all", "--json").stdout.splitlines()]
    assert any("p***@e***.com" in json.dumps(row, ensure_ascii=False) for row in exports)


def test_by_default_error_payloads_keep_the_values_an_admin_fixes(env) -> None:
    """The control: the same refusals with the default keep their values, so the canary above looks in
    the right places."""
    seed_refusals(env)

    env.run("handoff")
    env.run("marketo_handoff")

    text = stored_error_text(env) + exported(env)
    assert {"Tsukimori", "pd.canary,bad@example.com", "Kitakaze"} <= {v for v in PERSONAL if v in text}
