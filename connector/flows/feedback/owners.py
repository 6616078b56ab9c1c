"""Salesforce owners as MA owners, by email: the MA's owners are read once per run, when first needed.

HubSpot has owners (the owners API): the person's owner in HubSpot is the owner whose email is the
Salesforce owner's. A system without owners (Marketo) takes the owner's email into a field instead
(``owner_email``); ``ma_owner_id`` stays blank there, and blank values are never written.
"""

from __future__ import annotations

from connector.systems.base import Owners, System


class OwnerDirectory:
    """The MA's owner ids by lower-cased email, read at most once per run."""

    def __init__(self, target: System) -> None:
        self.target = target
        self._by_email: dict[str, str] | None = None

    @property
    def available(self) -> bool:
        return isinstance(self.target, Owners)

    def owner_of(self, email: str | None) -> str | None:
        """The MA owner with this email, or None (no email, no such owner, or no owners in the MA)."""
        if not email or not isinstance(self.target, Owners):
            return None
        if self._by_email is None:
            self._by_email = self.target.owners_by_email()
        return self._by_email.get(email.strip().lower())
