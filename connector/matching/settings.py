"""What the identity engine treats as a shared or made-up address, and how wide it looks: configurable.

A mapping's ``[match]`` section can extend the defaults with :meth:`MatchSettings.extended` (for example a
customer's own department inboxes); the defaults cover the role inboxes and placeholders common in
Japanese and English B2B forms.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

ROLE_MAILBOXES = frozenset(
    (
        "info", "information", "contact", "contactus", "inquiry", "inquiries", "enquiry", "enquiries",
        "sales", "marketing", "support", "help", "helpdesk", "service", "services", "customer",
        "customers", "cs", "noreply", "donotreply", "mailerdaemon", "postmaster", "pr", "press", "media",
        "hr", "recruit", "recruiting", "recruitment", "saiyo", "jobs", "career", "careers", "admin",
        "administrator", "office", "webmaster", "web", "eigyo", "eigyou", "soumu", "somu", "jinji",
        "toiawase", "otoiawase", "uketsuke", "kouhou", "koho", "keiri", "daihyo", "ir", "billing",
        "accounting", "finance", "legal", "security", "abuse", "team", "staff", "hello", "mail",
        "general", "desk", "reception", "partners", "partner", "event", "events", "seminar",
        "newsletter", "magazine",
    )
)  # fmt: skip
"""Mailbox names of department and role inboxes (info@, eigyo@ 営業, soumu@ 総務, jinji@ 人事,
toiawase@ 問い合わせ, ...): several different people write from them."""

PLACEHOLDER_MAILBOXES = frozenset(
    (
        "test", "testing", "tester", "dummy", "sample", "example", "none", "null", "nobody", "noname",
        "nomail", "noemail", "unknown", "xxx", "xxxx", "abc", "asdf", "qwerty", "foo", "hoge", "fuga",
        "piyo", "aaa",
    )
)  # fmt: skip
"""Mailbox names typed to get past a required e-mail field."""

PLACEHOLDER_DOMAINS = frozenset(
    (
        "example.com", "example.jp", "example.co.jp", "example.net", "example.org", "test.com",
        "test.jp", "test.co.jp", "dummy.com", "dummy.jp", "sample.com", "sample.jp", "sample.co.jp",
        "xxx.com", "xxx.co.jp", "hoge.com", "hoge.jp", "hoge.co.jp", "none.com", "nomail.com",
        "no-mail.com", "noemail.com", "mailinator.com", "invalid", "localhost",
    )
)  # fmt: skip
"""Domains that never receive mail (the reserved example domains) or are typed as a placeholder."""

PROVIDERS_IGNORING_PLUS = frozenset(
    (
        "gmail.com", "googlemail.com", "outlook.com", "outlook.jp", "hotmail.com", "hotmail.co.jp",
        "live.com", "live.jp", "icloud.com", "me.com", "mac.com", "fastmail.com", "protonmail.com",
        "proton.me",
    )
)  # fmt: skip
"""Providers that deliver ``name+tag@`` to ``name@``. Elsewhere + is a literal character."""

PROVIDERS_IGNORING_DOTS = frozenset({"gmail.com", "googlemail.com"})
"""Providers that deliver ``t.aro@`` to ``taro@``."""


@dataclass(frozen=True, slots=True)
class MatchSettings:
    """Lists and limits of the identity engine. Every field has a sensible default."""

    role_mailboxes: frozenset[str] = ROLE_MAILBOXES
    placeholder_mailboxes: frozenset[str] = PLACEHOLDER_MAILBOXES
    placeholder_domains: frozenset[str] = PLACEHOLDER_DOMAINS
    providers_ignoring_plus: frozenset[str] = PROVIDERS_IGNORING_PLUS
    providers_ignoring_dots: frozenset[str] = PROVIDERS_IGNORING_DOTS
    candidates_per_key: int = 50
    """A lookup value found on more index records than this says nothing about one person: skip it."""
    min_mailbox_length: int = 3
    """Shorter mailbox names (a@, ab@) are too common to look anyone up by under another domain."""
    phone_evidence: bool = True
    """Whether a source person's phone number is evidence at all. Even when it is, a phone never links
    anyone on its own (at most it sends a match to review), and a switchboard shared under different
    names counts for nothing."""

    def extended(
        self,
        *,
        role_mailboxes: Iterable[str] = (),
        placeholder_mailboxes: Iterable[str] = (),
        placeholder_domains: Iterable[str] = (),
    ) -> MatchSettings:
        """These settings with more role mailboxes, placeholder mailboxes or placeholder domains."""
        return replace(
            self,
            role_mailboxes=self.role_mailboxes | _lowered(role_mailboxes),
            placeholder_mailboxes=self.placeholder_mailboxes | _lowered(placeholder_mailboxes),
            placeholder_domains=self.placeholder_domains | _lowered(placeholder_domains),
        )


def _lowered(values: Iterable[str]) -> frozenset[str]:
    return frozenset(v.strip().lower() for v in values if v.strip())


DEFAULT_SETTINGS = MatchSettings()
