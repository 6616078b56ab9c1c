"""Marketo leads older than any activity window, and the initial load that finds them in the demo.

A Marketo instance that has run for years holds leads that qualified long ago and have done nothing
since: their New Lead activity and last change lie months back, far outside the activity log a first
run reads. The demo seeds a dozen such leads (most of them with a qualifying score) and configures the
``marketo_handoff`` flow's first run to read every lead by bulk export jobs from the oldest one's day
on, so they are handed off too.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from connector.demo.sandbox_config import Settings

FIRST_ID = 7000
PEOPLE = (
    ("恵", "小川", "株式会社北斗ソリューション"), ("Hannah", "Moore", "Wayne Labs"),
    ("拓也", "石井", "さくら物産株式会社"), ("Daniel", "Young", "Acme Corp"), ("優子", "森", "(株)サンプル"),
    ("Chloe", "King", "Globex Inc."), ("誠", "清水", "東京データ株式会社"), ("Ryan", "Scott", "Initech LLC"),
    ("真由美", "前田", "大阪システムズ株式会社"), ("Zoe", "Adams", "Umbrella Co., Ltd."),
    ("浩", "藤田", "未来テック株式会社"), ("Leo", "Baker", "Wayne Labs"),
)  # fmt: skip
QUALIFIED = 9
"""The first nine have a qualifying score (≥ 80): already MQLs when the instance goes live."""
OLDEST_DAYS, NEWEST_DAYS = 320, 120


def old_marketo_leads(rng: random.Random, now: datetime) -> list[dict[str, Any]]:
    """Leads created 120–320 days before ``now``, last changed soon after, with no activity since."""
    leads = []
    for index, (first, last, company) in enumerate(PEOPLE):
        created = now - timedelta(days=OLDEST_DAYS - index * (OLDEST_DAYS - NEWEST_DAYS) // len(PEOPLE))
        domain = "example.jp" if not first.isascii() else f"{company.split()[0].lower()}.example.com"
        leads.append(
            {
                "id": FIRST_ID + index,
                "firstName": first,
                "lastName": last,
                "email": f"old.lead{index}@{domain}",
                "company": company,
                "leadScore": rng.randint(80, 99) if index < QUALIFIED else rng.randint(10, 60),
                "leadSource": rng.choice(["Trade Show", "Webinar", "Website"]),
                "createdAt": _day(created),
                "updatedAt": _day(created + timedelta(days=rng.randint(1, 20))),
            }
        )
    return leads


def initial_load_settings(now: datetime) -> dict[str, Settings]:
    """The [marketo] keys that make the demo's first Marketo run read every lead since the oldest one."""
    since = (now - timedelta(days=OLDEST_DAYS + 1)).date().isoformat()
    return {
        "marketo": {
            "initial_load": ("bulk_extract", "the first run reads every lead, not only recent activity"),
            "initial_load_since": (since, "the day of the demo's oldest lead"),
        }
    }


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
