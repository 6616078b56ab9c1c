"""Salesforce owners as MA owners, by email, looked up when a batch is written (not when it is read).

The snapshot keeps the owner's user id (OwnerId), so a run that only re-reads unchanged records reads no
users. Writing a batch, the owners' emails are read from Salesforce's User object (one query per batch of
unknown users, kept for the run), and the MA's owners once per run: HubSpot has owners (the owners API),
and the person's owner there is the owner whose email is the Salesforce owner's. A system without owners
(Marketo) takes the owner's email into a field instead (``owner_email``); ``ma_owner_id`` stays blank there,
and blank values are never written.
"""

from __future__ import annotations

from collections.abc import Iterable

from connector.systems.base import Owners, System


class OwnerDirectory:
    """Salesforce users' emails and the MA's owner ids, each read at most once per run."""

    def __init__(self, source: System, target: System) -> None:
        self.source = source
        self.target = target
        self._emails: dict[str, str | None] = {}
        self._ma_owners: dict[str, str] | None = None

    def emails(self, user_ids: Iterable[str]) -> dict[str, str | None]:
        """The email of each Salesforce user (None when unknown); unknown ones are read in one query."""
        wanted = sorted({str(user_id) for user_id in user_ids if user_id})
        unknown = [user_id for user_id in wanted if user_id not in self._emails]
        if unknown:
            found = {
                user.id: user.fields.get("Email")
                for user in self.source.read_by_keys("User", "Id", unknown, ["Email"])
            }
            self._emails.update({user_id: found.get(user_id) for user_id in unknown})
        return {user_id: self._emails[user_id] for user_id in wanted}

    def ma_owner(self, email: str | None) -> str | None:
        """The MA owner with this email, or None (no email, no such owner, or no owners in the MA)."""
        if not email or not isinstance(self.target, Owners):
            return None
        if self._ma_owners is None:
            self._ma_owners = self.target.owners_by_email()
        return self._ma_owners.get(email.strip().lower())
