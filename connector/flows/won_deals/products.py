"""Products of a batch's line items: the CRM product of each source product, found or created once.

A source product linked before costs nothing. The others are read from the CRM by product code (its
unique key property, 100 codes a call) and linked; a code the CRM does not have is created by an upsert
on that key (idempotent, so a retry never creates it twice), or, with ``[products] create = false``, is
an error for the opportunities that sell it. Existing products are never changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine

from connector.errors import ErrorCategory
from connector.flows.won_deals.mapping import ProductsSpec
from connector.flows.won_deals.writes import LineWrite
from connector.records import Outcome, Outgoing, RecordError
from connector.state import links
from connector.systems.base import System


@dataclass
class Products:
    """What the batch's products resolved to."""

    ids: dict[str, str] = field(default_factory=dict)  # source product id → CRM product id
    new_links: list[tuple[str, str, str]] = field(default_factory=list)  # (source id, CRM id, created|linked)
    failed: dict[str, RecordError] = field(default_factory=dict)  # source product id → why

    def problem(self, lines: Sequence[LineWrite]) -> RecordError | None:
        """The first product problem among ``lines``, if any."""
        return next(
            (self.failed[line.product_ref] for line in lines if line.product_ref in self.failed), None
        )


def resolve(
    engine: Engine, *, source: System, crm: System, spec: ProductsSpec, lines: Sequence[LineWrite]
) -> Products:
    """The CRM product of every source product among ``lines``; reads and writes only what is unknown."""
    firsts: dict[str, LineWrite] = {}
    for line in lines:
        firsts.setdefault(line.product_ref, line)
    with engine.connect() as connection:
        known = links.targets_of(connection, source.name, spec.source, list(firsts), crm.name)
    products = Products(ids={ref: target.record_id for ref, target in known.items()})
    unknown = [line for ref, line in firsts.items() if ref not in known]
    if not unknown:
        return products
    codes = sorted({line.code for line in unknown})
    found = {
        str(r.fields.get(spec.key)): r.id for r in crm.read_by_keys(spec.object, spec.key, codes, [spec.key])
    }
    missing = [line for line in unknown if line.code not in found]
    created = _create(crm, spec, missing) if spec.create else {}
    for line in unknown:
        answer = found.get(line.code) or created.get(line.code)
        if isinstance(answer, str):
            products.ids[line.product_ref] = answer
            products.new_links.append(
                (line.product_ref, answer, "linked" if line.code in found else "created")
            )
        else:
            products.failed[line.product_ref] = answer or _not_found(spec, line.code)
    return products


def _create(crm: System, spec: ProductsSpec, lines: Sequence[LineWrite]) -> dict[str, str | RecordError]:
    """Upsert one product per code (the first line's fields); the CRM id, or the error, by code."""
    by_code = {line.code: line for line in reversed(lines)}
    outgoing = [Outgoing(code, dict(line.product.fields)) for code, line in sorted(by_code.items())]
    answers: dict[str, str | RecordError] = {}
    for start in range(0, len(outgoing), crm.max_write_batch):
        batch = outgoing[start : start + crm.max_write_batch]
        for record, result in zip(batch, crm.upsert(spec.object, spec.key, batch), strict=True):
            answers[record.key] = (
                result.id if result.outcome is not Outcome.FAILED and result.id else result.error
            )
    return answers  # type: ignore[return-value]


def _not_found(spec: ProductsSpec, code: str) -> RecordError:
    return RecordError(
        ErrorCategory.RECORD_REJECT,
        "PRODUCT_NOT_FOUND",
        f"no product with {spec.key} {code!r} in the CRM, and [products] create = false",
        (spec.code_from,),
    )
