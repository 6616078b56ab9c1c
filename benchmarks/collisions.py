"""The `collisions` world of benchmarks/handoff.py: names repeat inside companies, as in Japanese B2B data.

Shapes from shared/realistic-data.md, in roughly its proportions:
- surnames concentrate (佐藤, 鈴木, 高橋, 田中, ... weighted by frequency) and given names cluster, so in
  a large company several people share a full name; companies range from a few people to a thousand;
- same-name colleagues are numbered in their addresses (k.sato@, k.sato2@, ken.sato@, sato.ken@) and
  are different people; some people use a personal or carrier domain (gmail.com, docomo.ne.jp);
- department inboxes (info@, eigyo@, toiawase@, ...) fill forms; a company switchboard (代表番号) is on
  many records, mobiles on some;
- Salesforce already holds some of these people, typed in by sales before the integration: the same
  person (upper-case email), the same person with a one-letter typo, another person with the same name
  at the same company, a Lead without an email, the department inbox under a colleague's name.
The labels are in the data itself: nobody here is the same person as another record unless the world
says so, so every target record linked to two contacts is a wrong merge (``shared_links``).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, select

from connector.config import load_config
from connector.state import open_store, runs
from connector.state.tables import link_keys, review_cases

SURNAMES = (("佐藤", "sato", 15), ("鈴木", "suzuki", 14), ("高橋", "takahashi", 11), ("田中", "tanaka", 10),
            ("伊藤", "ito", 9), ("渡辺", "watanabe", 9), ("山本", "yamamoto", 9), ("中村", "nakamura", 9),
            ("小林", "kobayashi", 8), ("加藤", "kato", 7), ("吉田", "yoshida", 7), ("山田", "yamada", 6),
            ("佐々木", "sasaki", 6), ("山口", "yamaguchi", 5), ("松本", "matsumoto", 5), ("井上", "inoue", 5),
            ("木村", "kimura", 5), ("林", "hayashi", 4), ("斎藤", "saito", 4),
            ("清水", "shimizu", 4))  # fmt: skip
GIVEN = (("健", "ken"), ("翔太", "shota"), ("大輔", "daisuke"), ("直樹", "naoki"), ("拓也", "takuya"),
         ("誠", "makoto"), ("美咲", "misaki"), ("陽菜", "hina"), ("愛", "ai"), ("恵子", "keiko"),
         ("由美", "yumi"), ("さくら", "sakura"), ("一郎", "ichiro"), ("和也", "kazuya"), ("優子", "yuko"),
         ("花子", "hanako"))  # fmt: skip
ROLE_BOXES = ("info", "contact", "sales", "eigyo", "toiawase", "soumu", "jinji", "marketing")


def _tail(heads: str, head_readings: str, tails: str, tail_readings: str) -> list[tuple[str, str]]:
    """Less common names: every head kanji with every tail kanji, read as the parts are."""
    return [(h + t, hr + tr) for h, hr in zip(heads, head_readings.split(), strict=True)
            for t, tr in zip(tails, tail_readings.split(), strict=True)]  # fmt: skip


RARE_SURNAMES = _tail(
    "上下大小中石岡森川村野島原井本藤松竹杉北西東南平長前宮福今金青白黒赤古新高岩桜",
    "ue shimo o ko naka ishi oka mori kawa mura no shima hara i moto fuji matsu take sugi kita nishi "
    "higashi minami hira naga mae miya fuku ima kane ao shira kuro aka furu nii taka iwa sakura",
    "田川野村本島原井山沢口谷崎木部浦岡尾瀬橋",
    "ta kawa no mura moto jima hara i yama sawa guchi tani saki ki be ura oka o se hashi",
)
RARE_GIVEN = _tail(
    "健翔大直拓和優美陽恵由真智達亮裕光正秀康清信俊雅千香",
    "ken sho dai nao taku kazu yu mi haru kei yoshi ma tomo tatsu ryo hiro mitsu masa hide yasu kiyo "
    "nobu toshi masa chi kao",
    "太介也子美樹人斗菜香郎彦輝奈代",
    "ta suke ya ko mi ki to to na ka ro hiko ki na yo",
)
"""Everyone else: 800 surnames and 390 given names, so outside the common names a full name is rare,
as it is in real data (Japan has over 100,000 surnames)."""
COMMON_SURNAME_SHARE = 0.16
"""The twenty commonest surnames cover about a sixth of people in Japan (佐藤 1.5 %, 鈴木 1.4 %, ...)."""
COMMON_GIVEN_SHARE = 0.12
"""Given names cluster by birth cohort: a dozen and a half cover about an eighth of a cohort."""
PERSONAL_DOMAINS = ("gmail.com", "yahoo.co.jp", "icloud.com", "docomo.ne.jp", "ezweb.ne.jp")
ADDRESS_FORMS = ("{f}.{last}", "{first}.{last}", "{last}.{first}", "{last}-{f}", "{f}{last}",
                 "{last}_{first}", "{first}-{last}", "{last}.{f}")  # fmt: skip
"""How companies spell their people's mailboxes: each company has one convention."""


class World:
    """Contacts for HubSpot and the Leads sales already has in Salesforce (see the module docstring)."""

    def __init__(self, count: int, seed: int = 8) -> None:
        self.rng = random.Random(seed)
        self.companies = self._companies(count)
        self.contacts: list[dict[str, Any]] = []
        self.leads: list[dict[str, Any]] = []
        self._taken: set[str] = set()
        for index in range(count):
            self.contacts.append(self._contact(index))

    def _companies(self, count: int) -> list[tuple[str, str, str, int, str]]:
        """(name, domain, switchboard, weight, address form): a few large companies, many small ones."""
        companies = []
        for number in range(max(4, count // 40)):
            name = f"コリジョン{number}"
            spelled = f"{name}株式会社" if number % 3 == 0 else f"株式会社{name}"
            switchboard = f"03-{5000 + number % 4000:04d}-0000"
            form = self.rng.choice(ADDRESS_FORMS)
            companies.append((spelled, self._domain(), switchboard, max(1, int(400 / (number + 1))), form))
        return companies

    def _domain(self) -> str:
        """A company's mail domain: random letters, so no two are a typo apart by accident."""
        return "".join(self.rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(8)) + ".co.jp"

    def _contact(self, index: int) -> dict[str, Any]:
        weights = [company[3] for company in self.companies]
        name, domain, switchboard, _, form = self.rng.choices(self.companies, weights)[0]
        last, last_r, first, first_r = self._name()
        phone = switchboard if self.rng.random() < 0.6 else f"090-{1000 + index // 10000}-{index % 10000:04d}"
        if name.startswith("株式会社"):  # people write the legal form their own way
            name = self.rng.choice(["株式会社", "(株)", "㈱", "（株）"]) + name.removeprefix("株式会社")
        email = self._address(first_r, last_r, domain, form)
        properties = {"firstname": first, "lastname": last, "email": email, "company": name,
                      "phone": phone, "hubspotscore": str(80 + index % 21),
                      "hs_analytics_source_data_1": "benchmark-collisions"}  # fmt: skip
        if self.rng.random() < 0.08:
            self.leads.append(self._sales_lead(properties, first_r, last_r, (domain, form)))
        return {"properties": properties, "updatedAt": "2026-11-20T09:00:00.000Z"}

    def _name(self) -> tuple[str, str, str, str]:
        """(family name, its romaji, given name, its romaji): common ones as often as in real data."""
        if self.rng.random() < COMMON_SURNAME_SHARE:
            last, last_r, _ = self.rng.choices(SURNAMES, [weight for _, _, weight in SURNAMES])[0]
        else:
            last, last_r = self.rng.choice(RARE_SURNAMES)
        first, first_r = self.rng.choice(GIVEN if self.rng.random() < COMMON_GIVEN_SHARE else RARE_GIVEN)
        return last, last_r, first, first_r

    def _address(self, first: str, last: str, domain: str, form: str) -> str:
        """A free address in the company's convention: numbered when a colleague already has it."""
        roll = self.rng.random()
        if roll < 0.03:
            candidates = [f"{box}@{domain}" for box in ROLE_BOXES]
        elif roll < 0.13:
            domain = self.rng.choice(PERSONAL_DOMAINS)  # a namesake there gets a number: ken.sato2@gmail.com
            candidates = [f"{first}.{last}{n or ''}@{domain}" for n in range(50)]
        else:
            local = form.format(f=first[0], first=first, last=last)
            candidates = [f"{local}{n or ''}@{domain}" for n in range(50)]
        candidates.append(f"{first}.{last}.{len(self._taken)}@{domain}")
        address = next(a for a in candidates if a not in self._taken)
        self._taken.add(address)
        return address

    def _sales_lead(
        self, contact: dict[str, str], first_r: str, last_r: str, company: tuple[str, str]
    ) -> dict[str, Any]:
        """A Lead sales typed in before the integration, in one of five shapes."""
        lead = {"FirstName": contact["firstname"], "LastName": contact["lastname"],
                "Company": contact["company"], "Status": "Open - Not Contacted"}  # fmt: skip
        email, shape = contact["email"], self.rng.random()
        if shape < 0.35:  # the same person: links
            lead["Email"] = email.upper()
        elif shape < 0.5:  # the same person, one letter dropped by whoever typed it: review
            local, _, host = email.partition("@")
            lead["Email"] = f"{local[:-1]}@{host}" if len(local) > 4 else f"{local}x@{host}"
        elif shape < 0.8:  # a colleague with the same name and an address of their own: another person
            lead["Email"] = self._address(first_r, last_r, *company)
        elif shape < 0.9:  # the same name and company, no email, the switchboard or a mobile: review
            lead["Phone"] = contact["phone"]
        else:  # a department inbox under a colleague's name
            lead["Email"] = email if email.split("@")[0] in ROLE_BOXES else f"info@{company[0]}"
            lead["FirstName"] = self.rng.choice([g for g, _ in GIVEN if g != contact["firstname"]])
        return lead


def identity_outcome(config: Path) -> dict[str, Any]:
    """What the runs did with identity, from the state store: links shared by two contacts (must be 0),
    open review cases (by reason code), and the first run's created / linked / review / failed counters."""
    engine = open_store(load_config(config).state.url)
    source, target = link_keys.alias("source"), link_keys.alias("target")
    shared = (
        select(target.c.record_id)
        .join(source, and_(source.c.link_id == target.c.link_id, source.c.system == "hubspot"))
        .where(target.c.system == "salesforce", target.c.status == "active")
        .group_by(target.c.record_id)
        .having(func.count(func.distinct(source.c.record_id)) > 1)
    )
    with engine.connect() as connection:
        shared_links = len(connection.execute(shared).all())
        codes = connection.execute(
            select(review_cases.c.code, func.count()).where(review_cases.c.status == "open").group_by("code")
        ).all()
    first = runs.recent_runs(engine, "handoff", limit=1000)[-1]["counts"]
    engine.dispose()
    counted = {name: first.get(name, 0) for name in ("created", "linked", "review", "failed")}
    by_code = dict(sorted(((code, count) for code, count in codes), key=lambda pair: -pair[1]))
    cases = {"review_cases": sum(by_code.values()), "review_cases_by_code": by_code}
    return {"shared_links": shared_links, **cases, "first_run": counted}
