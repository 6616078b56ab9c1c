"""Identity matching (名寄せ): normalised keys, evidence, and link / review / create decisions.

:func:`decide_identity` is the engine the handoff planner calls; :func:`match_account` routes a new
person to a customer Account.
"""

from connector.matching.candidates import Candidate, representative
from connector.matching.decision import (
    LOOKUP_COLUMNS,
    Assessment,
    IdentityDecision,
    Outcome,
    Reason,
    Strength,
    decide_identity,
    lookup_keys,
)
from connector.matching.evidence import (
    Evidence,
    Person,
    PhoneEvidence,
    assess,
    index_columns,
    person,
    phone_is_personal,
    stored_person,
)
from connector.matching.match import (
    AccountCandidate,
    AccountDecision,
    AccountKind,
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
from connector.matching.settings import DEFAULT_SETTINGS, MatchSettings

__all__ = [
    "DEFAULT_SETTINGS",
    "LOOKUP_COLUMNS",
    "AccountCandidate",
    "AccountDecision",
    "AccountKind",
    "Assessment",
    "Candidate",
    "Evidence",
    "IdentityDecision",
    "IdentityKeys",
    "MatchSettings",
    "Outcome",
    "Person",
    "PhoneEvidence",
    "Reason",
    "Strength",
    "assess",
    "decide_identity",
    "identity_keys",
    "index_columns",
    "lookup_keys",
    "match_account",
    "normalize_company",
    "normalize_email",
    "normalize_name",
    "normalize_phone",
    "person",
    "phone_is_personal",
    "representative",
    "stored_person",
]
