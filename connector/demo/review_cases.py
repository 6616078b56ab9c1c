"""Demo people whose match is not conclusive: `revloop demo` leaves them in the review queue.

Each pair is a Salesforce Lead sales already has and a HubSpot contact that qualifies. The engine links
only on the same personal email; these show what it refuses to decide alone, and one it decides without
doubt the other way:
- a one-letter typo in an existing Lead's email, same name and company: review (email_near);
- a department inbox (info@) shared with a Lead of the same name: review (role_address);
- the same name at the same company with another personal email: a second person, created.
(Two Leads already sharing one email, in seed.py, are a review case too: several_people.)
"""

from __future__ import annotations

from typing import Any

LEADS: list[dict[str, Any]] = [
    {"FirstName": "美穂", "LastName": "佐々木", "Email": "miho.sasaki@hokuto-sol.example.jp",
     "Company": "株式会社北斗ソリューション", "Phone": "+81 11-555-0110"},
    {"FirstName": "翔太", "LastName": "伊藤", "Email": "info@sakura.example.jp",
     "Company": "さくら物産株式会社"},
    {"FirstName": "一郎", "LastName": "鈴木", "Email": "i.suzuki@osaka-sys.example.jp",
     "Company": "大阪システムズ株式会社"},
]  # fmt: skip

CONTACTS: list[dict[str, str]] = [
    # One letter dropped from the Lead's email: likely the same person, but an admin confirms it.
    {"firstname": "美穂", "lastname": "佐々木", "email": "miho.sasak@hokuto-sol.example.jp",
     "company": "(株)北斗ソリューション", "phone": "011-555-0110"},
    # The department inbox a Lead of the same name also used: several people write from info@.
    {"firstname": "翔太", "lastname": "伊藤", "email": "info@sakura.example.jp", "company": "さくら物産(株)",
     "phone": ""},
    # Same name, same company, another personal email: a large company has two 鈴木 一郎.
    {"firstname": "一郎", "lastname": "鈴木", "email": "ichiro.suzuki@osaka-sys.example.jp",
     "company": "大阪システムズ(株)", "phone": "06-5555-0199"},
]  # fmt: skip
