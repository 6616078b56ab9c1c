"""The HubSpot fake against HubSpot's official OpenAPI specs (tests/data/hubspot_specs: test data).

The fake's WSGI app is wrapped in a recorder; the real adapter and a few direct hubspot-api-client calls
drive it over HTTPS; then every request and response is validated with openapi-core. The specs name
``https://api.hubapi.com`` as their server, so exchanges are validated as if sent there.

Where the specs disagree with what the real API does, the difference is patched narrowly below
(``patch_spec``) or excluded (``not_in_spec``), each with the reason.
"""

from __future__ import annotations

import functools
import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from hubspot import HubSpot
from jsonschema_path import SchemaPath
from openapi_core.datatypes import RequestParameters
from openapi_core.validation.request.validators import V30RequestBodyValidator, V30RequestParametersValidator
from openapi_core.validation.response.validators import V30ResponseValidator
from werkzeug.datastructures import Headers, ImmutableMultiDict

from connector.records import Outgoing

pytest_plugins = ("conftest_hubspot",)

SERVER = "https://api.hubapi.com"
SPECS_DIR = Path(__file__).resolve().parents[1] / "data" / "hubspot_specs"
SPECS = {
    "/crm/v3/objects/contacts": "contacts.json",
    "/crm/v3/objects/companies": "companies.json",
    "/crm/v3/objects/0-3": "deals.json",
    "/crm/v3/objects/line_items": "lineItems.json",
    "/crm/v3/objects/products": "products.json",
    "/crm/v3/properties": "properties.json",
    "/crm/v3/pipelines": "pipelines.json",
    "/crm/v4/": "associations.json",
    "/crm/v3/lists": "lists.json",
}
NULLABLE_PROPERTIES = ("SimplePublicObject", "SimplePublicObjectWithAssociations", "SimplePublicUpsertObject")


def patch_spec(spec: dict) -> dict:
    """Narrow corrections where the spec contradicts the documented, real API."""
    schemas = spec.get("components", {}).get("schemas", {})
    search = schemas.get("PublicObjectSearchRequest")
    if search:
        # The spec types sorts as strings; HubSpot documents (and the adapter sends)
        # {"propertyName": ..., "direction": "ASCENDING|DESCENDING"} objects.
        sort_object = {
            "type": "object",
            "properties": {"propertyName": {"type": "string"}, "direction": {"type": "string"}},
        }
        search["properties"]["sorts"]["items"] = {"anyOf": [{"type": "string"}, sort_object]}
    for name in NULLABLE_PROPERTIES:
        if name in schemas:
            # HubSpot answers null for a requested property the record has no value for.
            schemas[name]["properties"]["properties"]["additionalProperties"]["nullable"] = True
    for response in spec.get("components", {}).get("responses", {}).values():
        # Error bodies are declared as */*, which openapi-core does not parse; HubSpot sends JSON.
        if "*/*" in response.get("content", {}):
            response["content"]["application/json"] = response["content"].pop("*/*")
    for operations in spec["paths"].values():
        for operation in operations.values():
            for response in operation.get("responses", {}).values() if isinstance(operation, dict) else ():
                # "content": {} (204 No content) makes openapi-core demand a body; it means none.
                if response.get("content") == {}:
                    del response["content"]
    return spec


def not_in_spec(exchange: Exchange) -> bool:
    """429 answers carry errorType/policyName but no category (HubSpot's error-handling docs), so they
    do not match the spec's Error schema."""
    return exchange.status == 429


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    status: int
    response_headers: tuple[tuple[str, str], ...]
    response_body: bytes


class Recorder:
    """WSGI middleware that keeps every exchange the fake answers."""

    def __init__(self, app) -> None:
        self.app = app
        self.exchanges: list[Exchange] = []

    def __call__(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        answer: dict = {}

        def capture(status, headers, exc_info=None):
            answer.update(status=int(status.split()[0]), headers=tuple(headers))
            return start_response(status, headers, exc_info)

        chunks = list(self.app(environ, capture))
        request_headers = tuple(
            (k[5:].replace("_", "-").title(), v) for k, v in environ.items() if k.startswith("HTTP_")
        )
        self.exchanges.append(
            Exchange(
                environ["REQUEST_METHOD"], environ["PATH_INFO"], environ.get("QUERY_STRING", ""),
                request_headers, body, answer["status"], answer["headers"], b"".join(chunks),
            )
        )  # fmt: skip
        return chunks


def spec_path(path: str) -> str:
    """The path as the specs name it: no trailing slash (the client adds one to /crm/v3/lists/), and
    deals by their type id (the deals spec is published under /crm/v3/objects/0-3)."""
    return path.rstrip("/").replace("/crm/v3/objects/deals", "/crm/v3/objects/0-3")


@functools.cache
def spec_for(prefix: str) -> SchemaPath:
    raw = (SPECS_DIR / SPECS[prefix]).read_text(encoding="utf-8")
    return SchemaPath.from_dict(patch_spec(json.loads(raw)))


class SpecRequest:
    def __init__(self, exchange: Exchange) -> None:
        self.host_url, self.path, self.method = SERVER, spec_path(exchange.path), exchange.method.lower()
        self.body = exchange.body or None
        self.content_type = "application/json"
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qsl(exchange.query, keep_blank_values=True)),
            header=Headers(list(exchange.headers)),
        )

    @property
    def full_url_pattern(self) -> str:
        return self.host_url + self.path


class SpecResponse:
    def __init__(self, exchange: Exchange) -> None:
        self.status_code = exchange.status
        self.data = exchange.response_body
        self.headers = Headers(list(exchange.response_headers))
        self.content_type = self.headers.get("Content-Type", "application/json")


def violations(exchanges: list[Exchange]) -> list[str]:
    """Every way the exchanges deviate from the specs (security is not checked: openapi-core has no
    oauth2 provider, and the fake's bearer check is covered by the auth tests)."""
    problems = []
    for exchange in exchanges:
        if not_in_spec(exchange):
            continue
        path = spec_path(exchange.path)
        spec = spec_for(next(prefix for prefix in SPECS if path.startswith(prefix)))
        request, response = SpecRequest(exchange), SpecResponse(exchange)
        checks = (
            (V30RequestParametersValidator(spec).validate, (request,)),
            (V30RequestBodyValidator(spec).validate, (request,)),
            (V30ResponseValidator(spec).validate, (request, response)),
        )
        for validate, arguments in checks:
            try:
                validate(*arguments)
            except Exception as exc:
                cause = exc.__cause__ or exc
                problems.append(
                    f"{exchange.method} {exchange.path} -> {exchange.status}: {exc} {cause}"[:1500]
                )
    return problems


@pytest.fixture
def recorder(hubspot_sandbox, hubspot_fake):
    server = hubspot_sandbox.fakes["hubspot"].server
    recording = Recorder(hubspot_fake)
    server.wsgi_app = recording
    yield recording
    server.wsgi_app = hubspot_fake


@pytest.fixture
def client(hubspot_sandbox, hubspot_fake) -> Iterator[HubSpot]:
    urllib3_level = logging.getLogger("urllib3").level  # each client Configuration() resets it
    yield HubSpot(
        access_token=hubspot_fake.static_token,
        host=hubspot_sandbox.url("hubspot"),
        ssl_ca_cert=str(hubspot_sandbox.ca_bundle),
    )
    logging.getLogger("urllib3").setLevel(urllib3_level)


def seed(fake, object_type: str, *properties: dict) -> list[str]:
    return fake.seed({object_type: [{"properties": values} for values in properties]})[object_type]


def drive_adapter(hubspot, hubspot_fake) -> None:
    """Every adapter operation, including its error paths."""
    people = seed(hubspot_fake, "contacts", *({"email": f"c{n}@example.com"} for n in range(3)))
    [company] = seed(hubspot_fake, "companies", {"name": "Acme", "domain": "acme.example"})
    [deal] = seed(hubspot_fake, "deals", {"dealname": "Big", "dealstage": "closedwon", "pipeline": "default"})
    hubspot.check()
    for obj in ("contacts", "companies", "deals", "line_items", "products"):
        list(hubspot.read_changes(obj, None, ["name", "email"]))
    list(hubspot.read_by_keys("contacts", "hs_object_id", [*people, "999999"], ["email"]))
    list(hubspot.read_by_keys("contacts", "email", ["c1@example.com"], ["email"]))
    list(hubspot.read_by_keys("contacts", "firstname", ["Ann"], ["email"]))
    batch = [
        Outgoing("new@example.com", {"firstname": "Ann"}),
        Outgoing("c0@example.com", {"hubspotscore": "high"}),
    ]
    hubspot.upsert("contacts", "email", batch)
    hubspot.upsert(
        "contacts", "hs_object_id", [Outgoing(people[0], {"city": "Osaka"}), Outgoing("424242", {})]
    )
    hubspot.describe("deals")
    hubspot.associate("contacts", "companies", [(people[0], company), (people[1], "888")])
    hubspot.associate("deals", "companies", [(deal, company)], type_id=341)
    hubspot.associate("deals", "companies", [("1", company)], type_id=341)
    hubspot.dissociate("deals", "companies", [(deal, company)])
    hubspot.upsert("deals", "hs_object_id", [Outgoing(deal, {"deal_currency_code": "USD", "amount": "10"})])
    hubspot.remove("deals", [deal, "424242"])
    list_id = hubspot.find_or_create_list("Upsell")
    assert hubspot.find_or_create_list("Upsell") == list_id
    hubspot.add_to_list(list_id, [*people, "999999"])
    hubspot.remove_from_list(list_id, people[:1])
    list(hubspot.list_members(list_id))


def drive_client(client: HubSpot) -> None:
    """Endpoints the adapter does not use, called with the client library directly."""
    objects, v4 = client.crm.objects, client.crm.associations.v4
    created = objects.basic_api.create(
        "contacts", {"properties": {"email": "direct@example.com"}, "associations": []}
    )
    objects.basic_api.get_by_id(
        "contacts", "direct@example.com", id_property="email", properties=["email", "phone"]
    )
    objects.basic_api.update("contacts", created.id, {"properties": {"jobtitle": "CTO"}})
    objects.basic_api.get_page("contacts", limit=2, properties=["email"])
    traced = [
        {
            "properties": {"name": f"P{n}", "hs_sku": "SKU-1"},
            "associations": [],
            "objectWriteTraceId": f"t{n}",
        }
        for n in range(2)
    ]
    objects.batch_api.create("products", {"inputs": traced})
    objects.batch_api.create(
        "line_items", {"inputs": [{"properties": {"name": "L", "quantity": "2"}, "associations": []}]}
    )
    objects.batch_api.archive("line_items", {"inputs": [{"id": "1"}]})
    objects.basic_api.archive("contacts", created.id)
    with pytest.raises(Exception, match="409"):
        objects.basic_api.create("contacts", {"properties": {"email": "c2@example.com"}, "associations": []})
    client.crm.properties.core_api.get_by_name("contacts", "lifecyclestage")
    client.crm.pipelines.pipelines_api.get_all("deals")
    v4.basic_api.get_page("contacts", "1001", "companies")
    v4.batch_api.get_page("contacts", "companies", {"inputs": [{"id": "1001"}, {"id": "31337"}]})
    client.crm.lists.lists_api.get_by_id("1")
    client.crm.lists.memberships_api.add_and_remove(
        "1", {"recordIdsToAdd": ["1002"], "recordIdsToRemove": ["1001"]}
    )
    stranger = HubSpot(
        access_token="not-a-token", host=client.config["host"], ssl_ca_cert=client.config["ssl_ca_cert"]
    )
    with pytest.raises(Exception, match="401"):
        stranger.crm.objects.basic_api.get_page("contacts")


def test_every_exchange_conforms_to_hubspots_specs(recorder, hubspot, hubspot_fake, client):
    drive_adapter(hubspot, hubspot_fake)
    drive_client(client)
    statuses = {exchange.status for exchange in recorder.exchanges}
    assert {200, 201, 204, 207, 400, 401, 404, 409} <= statuses
    assert len(recorder.exchanges) > 30
    assert violations(recorder.exchanges) == []


def test_the_validator_catches_a_fake_that_deviates(recorder, hubspot, hubspot_fake):
    hubspot.upsert("contacts", "email", [Outgoing("a@example.com", {"firstname": "A"})])
    list(hubspot.read_changes("contacts", None, ["email"]))
    upsert, search = recorder.exchanges
    assert violations([upsert, search]) == []

    answer = json.loads(upsert.response_body)
    answer["results"][0]["id"] = int(answer["results"][0]["id"])  # ids are strings on the wire
    bad_id = replace(upsert, response_body=json.dumps(answer).encode())
    page = json.loads(search.response_body)
    del page["total"]
    no_total = replace(search, response_body=json.dumps(page).encode())
    wrong_status = replace(upsert, status=201)  # upsert answers 200, never 201
    request = json.loads(search.body)
    request["limit"] = "200"
    bad_request = replace(search, body=json.dumps(request).encode())

    for broken in (bad_id, no_total, wrong_status, bad_request):
        assert len(violations([broken])) == 1, broken
