"""Identity matching (名寄せ): normalised keys and pure link/create/ambiguous decisions."""

from connector.matching.match import (
    AccountCandidate,
    AccountDecision,
    AccountKind,
    Candidate,
    MatchDecision,
    MatchKind,
    decide,
    match_account,
)
from connector.matching.normalize import (
    IdentityKeys,
    identity_keys,
    normalize_company,
    normalize_email,
    normalize_name,
    normalize_phone,
)

__all__ = [
    "AccountCandidate",
    "AccountDecision",
    "AccountKind",
    "Candidate",
    "IdentityKeys",
    "MatchDecision",
    "MatchKind",
    "decide",
    "identity_keys",
    "match_account",
    "normalize_company",
    "normalize_email",
    "normalize_name",
    "normalize_phone",
]
