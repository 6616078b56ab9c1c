"""The demo data set: a few hundred people across the three systems, with the mess real data has.

What it contains, so the demo shows every path of the handoff:
- HubSpot contacts and Marketo leads with English and Japanese names, scores and engagement (pricing
  page views, case-study downloads, contact-form visits), campaigns they came from;
- people written two ways: full-width text, upper-case emails, 株式会社 / (株) / ㈱, spaced and
  unspaced Japanese names, phone numbers in local and international formats;
- Salesforce Leads that already exist for some of them (matched, never duplicated), customer Accounts
  whose people become Contacts, and matches revloop leaves to an admin's review (two Leads sharing one
  email, a typo'd email, a shared inbox: :mod:`connector.demo.review_cases`);
- invalid records (a malformed email, an unparseable phone number) that end as sync errors;
- Marketo leads that qualified long ago and have done nothing since (:mod:`connector.demo.old_leads`);
- opportunities at several stages, and won business with products and contact roles (connector.demo.sales),
  one of a customer the CRM knows already, for the won-deals flow.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from connector.demo import review_cases
from connector.demo.old_leads import old_marketo_leads
from connector.demo.sales import DEMO_SALES, salesforce_id, salesforce_sales

JA_SURNAMES = ["山田", "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "中村", "小林", "加藤", "吉田", "松本"]
JA_GIVEN = ["太郎", "花子", "健", "美咲", "翔太", "陽菜", "大輔", "さくら", "直樹", "愛"]
JA_ROMAJI = {
    "山田": "yamada", "佐藤": "sato", "鈴木": "suzuki", "高橋": "takahashi", "田中": "tanaka", "伊藤": "ito",
    "渡辺": "watanabe", "中村": "nakamura", "小林": "kobayashi", "加藤": "kato", "吉田": "yoshida",
    "松本": "matsumoto", "太郎": "taro", "花子": "hanako", "健": "ken", "美咲": "misaki", "翔太": "shota",
    "陽菜": "hina", "大輔": "daisuke", "さくら": "sakura", "直樹": "naoki", "愛": "ai",
}  # fmt: skip
EN_FIRST = ["Emma", "Liam", "Olivia", "Noah", "Ava", "Ethan", "Mia", "Lucas", "Sophia", "James", "Grace"]
EN_LAST = ["Smith", "Johnson", "Brown", "Garcia", "Miller", "Davis", "Wilson", "Taylor", "Clark", "Lewis"]
JA_COMPANIES = ["サンプル", "未来テック", "東京データ", "さくら物産", "大阪システムズ", "北斗ソリューション"]
EN_COMPANIES = [
    "Acme Corp",
    "Globex Inc.",
    "Initech LLC",
    "Umbrella Co., Ltd.",
    "Stark Industries",
    "Wayne Labs",
]
CAMPAIGNS = [
    "2026-webinar-revops",
    "google-ads-brand-jp",
    "ebook-ma-sfa-crm",
    "expo-tokyo-2026",
    "newsletter-oct",
]
PAGES = [
    "/pricing",
    "/pricing#enterprise",
    "/features",
    "/blog/ma-vs-sfa",
    "/case-studies/sakura",
    "/contact",
]
ASSETS = ["/assets/case-study-sakura.pdf", "/assets/case-study-globex.pdf", "/assets/whitepaper-revops.pdf"]


def demo_now() -> datetime:
    """The demo data's present, this hour: every date in it is counted back from here, so activity
    windows (a Marketo backfill of 30 days) see the same data whatever day the demo runs."""
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


SALES_REPS = [("Kenji Mori", "kenji.mori"), ("Aiko Ueda", "aiko.ueda"), ("Tom Baker", "tom.baker")]


@dataclass
class Person:
    first: str
    last: str
    email: str
    company: str
    phone: str
    japanese: bool


@dataclass
class DemoData:
    hubspot: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    salesforce: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    marketo: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _person(rng: random.Random, index: int) -> Person:
    if rng.random() < 0.55:
        last, first = rng.choice(JA_SURNAMES), rng.choice(JA_GIVEN)
        company = rng.choice(JA_COMPANIES)
        company = rng.choice([f"株式会社{company}", f"{company}株式会社", f"(株){company}"])
        email = f"{JA_ROMAJI[first]}.{JA_ROMAJI[last]}{index}@{rng.choice(['example.jp', 'example.co.jp'])}"
        phone = rng.choice(
            [
                f"03-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
                f"+8190{rng.randint(10**7, 10**8 - 1)}",
            ]
        )
        return Person(first, last, email, company, phone, True)
    first, last = rng.choice(EN_FIRST), rng.choice(EN_LAST)
    company = rng.choice(EN_COMPANIES)
    email = f"{first.lower()}.{last.lower()}{index}@{company.split()[0].lower()}.example.com"
    phone = f"+1 415 555 {rng.randint(1000, 9999)}"
    return Person(first, last, email, company, phone, False)


def _engagement(rng: random.Random, hot: bool) -> tuple[int, int, int, int]:
    """(score, pricing views, case-study downloads, contact-form visits)."""
    if hot:
        return rng.randint(60, 100), rng.randint(1, 4), rng.randint(0, 2), rng.randint(0, 2)
    return rng.randint(0, 55), rng.randint(0, 1), 0, 0


def build_demo_data(
    contacts: int = 240, leads: int = 120, seed: int = 7, now: datetime | None = None
) -> DemoData:
    rng = random.Random(seed)
    now = now or demo_now()
    data = DemoData()
    people = [_person(rng, index) for index in range(contacts)]
    data.hubspot["contacts"] = [_hubspot_contact(rng, person, now, i) for i, person in enumerate(people)]
    _add_messy_hubspot_contacts(data.hubspot["contacts"], now)
    data.salesforce = _salesforce_org(people)
    marketo_people = [_person(rng, 10_000 + index) for index in range(leads)]
    data.marketo = _marketo_instance(rng, marketo_people, now)
    data.marketo["leads"] += old_marketo_leads(random.Random(seed + 1), now)
    data.hubspot.update(_crm_customers(now))
    return data


def _hubspot_contact(rng: random.Random, person: Person, now: datetime, index: int) -> dict[str, Any]:
    score, pricing, case_study, form = _engagement(rng, hot=rng.random() < 0.45)
    properties = {
        "firstname": person.first,
        "lastname": person.last,
        "email": person.email,
        "company": person.company,
        "phone": person.phone,
        "hubspotscore": str(score),
        "revloop_pricing_page_views": str(pricing),
        "revloop_case_study_downloads": str(case_study),
        "revloop_contact_form_visits": str(form),
        "hs_analytics_source": rng.choice(["ORGANIC_SEARCH", "PAID_SEARCH", "EMAIL_MARKETING", "OFFLINE"]),
        "hs_analytics_source_data_1": rng.choice(CAMPAIGNS),
        "hs_analytics_num_page_views": str(pricing + rng.randint(0, 30)),
        "lifecyclestage": "marketingqualifiedlead" if score >= 80 else "lead",
    }
    return {"properties": properties, "updatedAt": _iso(now - timedelta(minutes=index))}


def _add_messy_hubspot_contacts(contacts: list[dict[str, Any]], now: datetime) -> None:
    """People written the way real data writes them."""
    hot = {
        "hubspotscore": "92",
        "revloop_pricing_page_views": "3",
        "lifecyclestage": "marketingqualifiedlead",
    }
    messy = [
        # Full-width letters in email and name: NFKC makes them match the Lead already in Salesforce.
        {"firstname": "Ｈａｎａｋｏ", "lastname": "Ｔａｎａｋａ", "email": "ｈａｎａｋｏ.ｔａｎａｋａ@sakura.example.jp", "company": "さくら物産株式会社", "phone": "０３－１２３４－５６７８"},
        # Upper-case email of an existing Lead.
        {"firstname": "Olivia", "lastname": "Brown", "email": "OLIVIA.BROWN@GLOBEX.EXAMPLE.COM", "company": "Globex Inc.", "phone": "+1 (415) 555-0101"},
        # Same name and company as a Salesforce Lead, another personal email: another person, created.
        {"firstname": "太郎", "lastname": "山田", "email": "t-yamada@mirai-tech.example.jp", "company": "(株)未来テック", "phone": "03-5555-0001"},
        # Works at a customer Account: becomes a Contact on it, not a Lead.
        {"firstname": "直樹", "lastname": "伊藤", "email": "naoki.ito@tokyo-data.example.jp", "company": "㈱東京データ", "phone": "03-5555-0002"},
        # Two Salesforce Leads already share this email: a review case, left to an admin.
        {"firstname": "Ethan", "lastname": "Clark", "email": "ethan.clark@initech.example.com", "company": "Initech LLC", "phone": "+1 415 555 0103"},
        # Invalid data: a comma typo in an email (Salesforce refuses it), a phone number nobody can dial.
        {"firstname": "Grace", "lastname": "Lewis", "email": "grace,lewis@acme.example.com", "company": "Acme Corp", "phone": "+1 415 555 0104"},
        {"firstname": "美咲", "lastname": "中村", "email": "misaki.nakamura@osaka-sys.example.jp", "company": "大阪システムズ株式会社", "phone": "電話番号なし"},
        # No last name and no company: defaults fill Salesforce's required fields.
        {"firstname": "", "lastname": "", "email": "info@hokuto.example.jp", "company": "", "phone": ""},
    ]  # fmt: skip
    messy += review_cases.CONTACTS
    for index, properties in enumerate(messy):
        contacts.append(
            {"properties": {**hot, **properties}, "updatedAt": _iso(now - timedelta(seconds=index))}
        )


def _salesforce_org(people: list[Person]) -> dict[str, list[dict[str, Any]]]:
    users = [
        {
            "Id": salesforce_id("005", i),
            "Name": name,
            "Email": f"{alias}@revloop-demo.example.com",
            "IsActive": True,
        }
        for i, (name, alias) in enumerate(SALES_REPS)
    ]
    accounts = [
        {
            "Id": salesforce_id("001", 1),
            "Name": "東京データ株式会社",
            "Type": "Customer",
            "OwnerId": users[0]["Id"],
        },
        {
            "Id": salesforce_id("001", 2),
            "Name": "Stark Industries",
            "Type": "Customer",
            "OwnerId": users[2]["Id"],
        },
        {
            "Id": salesforce_id("001", 3),
            "Name": "さくら物産株式会社",
            "Type": "Prospect",
            "OwnerId": users[1]["Id"],
        },
    ]
    leads = [
        {
            "FirstName": "花子",
            "LastName": "田中",
            "Email": "hanako.tanaka@sakura.example.jp",
            "Company": "さくら物産(株)",
        },
        {
            "FirstName": "Olivia",
            "LastName": "Brown",
            "Email": "olivia.brown@globex.example.com",
            "Company": "Globex, Inc.",
        },
        {
            "FirstName": "太郎",
            "LastName": "山田",
            "Email": "taro.yamada@mirai.example.jp",
            "Company": "株式会社 未来テック",
        },
        {
            "FirstName": "Ethan",
            "LastName": "Clark",
            "Email": "ethan.clark@initech.example.com",
            "Company": "Initech",
        },
        {
            "FirstName": "E.",
            "LastName": "Clark",
            "Email": "Ethan.Clark@initech.example.com",
            "Company": "Initech LLC",
        },
    ]
    leads += [dict(lead) for lead in review_cases.LEADS]
    for index, lead in enumerate(leads):
        lead.update(
            Id=salesforce_id("00Q", index + 1), Status="Open - Not Contacted", OwnerId=users[index % 3]["Id"]
        )
    contacts = [
        {"Id": salesforce_id("003", 1), "FirstName": "Tony", "LastName": "Stark", "Email": "tony@stark.example.com",
         "AccountId": accounts[1]["Id"]},
    ]  # fmt: skip
    stages = [
        "Prospecting",
        "Qualification",
        "Proposal/Price Quote",
        "Negotiation/Review",
        "Closed Won",
        "Closed Lost",
    ]
    opportunities = [
        {
            "Id": salesforce_id("006", index + 1),
            "Name": f"{account['Name']} - {stage}",
            "StageName": stage,
            "CloseDate": "2026-12-15",
            "Amount": 1_200_000 + 300_000 * index,
            "AccountId": account["Id"],
        }
        for index, (account, stage) in enumerate(zip(accounts * 2, stages, strict=False))
    ]
    org = {
        "User": users,
        "Account": accounts,
        "Lead": leads,
        "Contact": contacts,
        "Opportunity": opportunities,
    }
    for obj, rows in salesforce_sales(DEMO_SALES, first_id=100).items():
        org[obj] = org.get(obj, []) + rows
    return org


def _marketo_instance(
    rng: random.Random, people: list[Person], now: datetime
) -> dict[str, list[dict[str, Any]]]:
    leads, activities = [], []
    for index, person in enumerate(people):
        lead_id = 5000 + index
        score, pricing, case_study, form = _engagement(rng, hot=rng.random() < 0.5)
        leads.append(
            {
                "id": lead_id,
                "firstName": person.first,
                "lastName": person.last,
                "email": person.email,
                "company": person.company,
                "phone": person.phone,
                "leadScore": score,
                "leadSource": rng.choice(["Website", "Webinar", "Trade Show"]),
            }
        )
        moments = [(1, rng.choice(["/pricing", "/pricing#enterprise"])) for _ in range(pricing)]
        moments += [(3, rng.choice(ASSETS[:2])) for _ in range(case_study)]
        moments += [(2, "Contact Us") for _ in range(form)]
        moments += [(1, rng.choice(PAGES[2:5])) for _ in range(rng.randint(0, 3))]
        for offset, (type_id, value) in enumerate(moments):
            activities.append(
                {
                    "leadId": lead_id,
                    "activityTypeId": type_id,
                    "primaryAttributeValue": value,
                    "activityDate": _iso(now - timedelta(days=3, minutes=index * 5 + offset)),
                }
            )
    return {"leads": leads, "activities": activities}


def _crm_customers(now: datetime) -> dict[str, list[dict[str, Any]]]:
    """Customers with products in the CRM, for the won-deal and upsell flows."""
    products = [
        {"properties": {"name": "revloop Basic", "price": "50000", "hs_sku": "RL-BASIC"}},
        {"properties": {"name": "revloop Pro", "price": "150000", "hs_sku": "RL-PRO"}},
        {"properties": {"name": "Option: Japanese data hygiene", "price": "30000", "hs_sku": "RL-OPT-JA"}},
    ]
    companies = [
        {"properties": {"name": name, "domain": f"customer{i}.example.jp", "industry": "COMPUTER_SOFTWARE"}}
        for i, name in enumerate(["東京データ株式会社", "Stark Industries", "株式会社北斗ソリューション"])
    ]
    deals = [
        {
            "properties": {
                "dealname": f"{company['properties']['name']} - {plan}",
                "amount": amount,
                "dealstage": "closedwon",
                "pipeline": "default",
                "closedate": _iso(now - timedelta(days=30 * (i + 1))),
            }
        }
        for i, (company, plan, amount) in enumerate(
            zip(
                companies,
                ["revloop Basic", "revloop Pro", "revloop Basic"],
                ["600000", "1800000", "600000"],
                strict=True,
            )
        )
    ]
    return {"products": products, "companies": companies, "deals": deals}


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def seed_sandbox(sandbox, data: DemoData) -> dict[str, Any]:
    """Load ``data`` into the running fakes; returns each fake's seed summary."""
    summary = {}
    for name, payload in (
        ("salesforce", data.salesforce),
        ("hubspot", data.hubspot),
        ("marketo", data.marketo),
    ):
        if name in sandbox.fakes and payload:
            service = sandbox.service(name)
            with service.lock:
                summary[name] = service.seed(payload)
    return summary
