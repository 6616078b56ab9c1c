"""Bulk API 2.0 in the Salesforce fake, and the real simple-salesforce client against the fake over HTTPS."""

from __future__ import annotations

import csv
import io

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceExpiredSession, SalesforceMalformedRequest

from connector.systems.http import PinnedSession
from connector.systems.network import ConnectPolicy

LOOPBACK = ConnectPolicy("test", allow_private_network=True)
"""The test servers listen on 127.0.0.1, which only an explicit opt-in may reach."""

pytest_plugins = ("conftest_salesforce",)


def ingest(sf_api, csv_text: str, **job) -> str:
    created = sf_api("POST", "jobs/ingest/", json={"object": "Lead", "contentType": "CSV", **job})
    assert created.status_code == 200 and created.get_json()["state"] == "Open"
    job_id = created.get_json()["id"]
    upload = sf_api("PUT", f"jobs/ingest/{job_id}/batches/", data=csv_text.encode(), content_type="text/csv")
    assert upload.status_code == 201 and upload.data == b""
    closed = sf_api("PATCH", f"jobs/ingest/{job_id}/", json={"state": "UploadComplete"})
    assert closed.get_json()["state"] == "UploadComplete"
    return job_id


def rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_ingest_upsert_job_reports_each_record(sf_bare, sf_api):
    sf_bare.seed(
        {"Lead": [{"LastName": "Old", "Company": "Acme", "Title": "CEO", "Revloop_MA_Id__c": "ma-1"}]}
    )
    data = "Revloop_MA_Id__c,LastName,Company,Title\nma-1,Old,,#N/A\nma-2,New,Beta,CTO\nma-3,NoCompany,,\n"
    job_id = ingest(sf_api, data, operation="upsert", externalIdFieldName="Revloop_MA_Id__c")
    info = sf_api("GET", f"jobs/ingest/{job_id}").get_json()
    assert (info["state"], info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (
        "JobComplete",
        3,
        1,
    )
    successes = sf_api("GET", f"jobs/ingest/{job_id}/successfulResults/")
    assert successes.get_data(as_text=True).splitlines()[0] == (
        '"sf__Id","sf__Created","Revloop_MA_Id__c","LastName","Company","Title"'
    )
    assert [(r["Revloop_MA_Id__c"], r["sf__Created"]) for r in rows(successes)] == [
        ("ma-1", "false"),
        ("ma-2", "true"),
    ]
    [failed] = rows(sf_api("GET", f"jobs/ingest/{job_id}/failedResults/"))
    assert failed["sf__Error"] == "REQUIRED_FIELD_MISSING:Required fields are missing: [Company]:Company --"
    assert rows(sf_api("GET", f"jobs/ingest/{job_id}/unprocessedrecords/")) == []
    kept = sf_api.query("SELECT Company, Title FROM Lead WHERE Revloop_MA_Id__c = 'ma-1'").get_json()[
        "records"
    ][0]
    assert (kept["Company"], kept["Title"]) == ("Acme", None)  # empty cell keeps, #N/A clears


def test_ingest_job_with_an_unknown_column_fails(sf_api):
    job_id = ingest(
        sf_api,
        "Revloop_MA_Id__c,Nope__c\nma-1,x\n",
        operation="upsert",
        externalIdFieldName="Revloop_MA_Id__c",
    )
    info = sf_api("GET", f"jobs/ingest/{job_id}/").get_json()
    assert (info["state"], info["errorMessage"]) == (
        "Failed",
        "InvalidBatch : Field name not found : Nope__c",
    )
    assert [
        r["Revloop_MA_Id__c"] for r in rows(sf_api("GET", f"jobs/ingest/{job_id}/unprocessedrecords"))
    ] == ["ma-1"]
    upload = sf_api("PUT", f"jobs/ingest/{job_id}/batches", data=b"x", content_type="text/csv")
    assert upload.status_code == 409


def test_query_job_pages_with_locators(sf_bare, sf_api):
    sf_bare.seed({"Lead": [{"LastName": f"L{i}", "Company": "Acme", "IsConverted": False} for i in range(5)]})
    job = sf_api(
        "POST",
        "jobs/query/",
        json={"operation": "query", "query": "SELECT Id, LastName, IsConverted FROM Lead"},
    )
    job_id = job.get_json()["id"]
    assert sf_api("GET", f"jobs/query/{job_id}").get_json()["state"] == "JobComplete"
    seen, locator, headers = [], "", []
    while True:
        params = {"maxRecords": 2, **({"locator": locator} if locator else {})}
        page = sf_api("GET", f"jobs/query/{job_id}/results", query_string=params)
        headers.append(page.headers["Sforce-NumberOfRecords"])
        seen += [(r["LastName"], r["IsConverted"]) for r in rows(page)]
        locator = page.headers["Sforce-Locator"]
        if locator == "null":
            break
    assert headers == ["2", "2", "1"]
    assert seen == [(f"L{i}", "false") for i in range(5)]
    bad = sf_api("POST", "jobs/query/", json={"operation": "query", "query": "SELECT Foo FROM Lead"})
    assert bad.get_json()[0]["errorCode"] == "INVALID_FIELD"


# ---- the real client against the fake ------------------------------------------------------------
@pytest.fixture
def simple_sf(sf_sandbox, sf_fake) -> Salesforce:
    session = PinnedSession(policy=LOOPBACK, ca_bundle=str(sf_sandbox.ca_bundle), timeout=10)
    return Salesforce(
        instance_url=sf_sandbox.url("salesforce"),
        session_id=sf_fake.static_token,
        session=session,
        version="62.0",
    )


def test_simple_salesforce_rest_calls(simple_sf, sf_fake):
    assert simple_sf.Lead.upsert("Revloop_MA_Id__c/a+b@x.jp", {"LastName": "S", "Company": "C"}) == 201
    assert simple_sf.Lead.upsert("Revloop_MA_Id__c/a+b@x.jp", {"Title": "T"}) == 200
    assert simple_sf.Lead.get_by_custom_id("Revloop_MA_Id__c", "a+b@x.jp")["Title"] == "T"
    sf_fake.seed({"Lead": [{"LastName": f"L{i}", "Company": "Acme"} for i in range(2500)]})
    everything = simple_sf.query_all("SELECT Id FROM Lead")
    assert everything["totalSize"] == 2501 and sf_fake.calls["query_more"] == 1
    assert simple_sf.limits()["DailyApiRequests"]["Max"] == 100_000
    assert simple_sf.api_usage["api-usage"].used == sf_fake.day_calls
    with pytest.raises(SalesforceMalformedRequest):
        simple_sf.query("SELECT Nope FROM Lead")
    simple_sf.session_id = "expired"
    simple_sf.headers["Authorization"] = "Bearer expired"
    with pytest.raises(SalesforceExpiredSession):
        simple_sf.limits()


def test_simple_salesforce_bulk2(simple_sf, sf_fake):
    records = [
        {"Revloop_MA_Id__c": f"ma-{i}", "LastName": f"L{i}", "Company": "Acme" if i else ""} for i in range(4)
    ]
    [result] = simple_sf.bulk2.Lead.upsert(records=records, external_id_field="Revloop_MA_Id__c", wait=0.01)
    assert (result["numberRecordsProcessed"], result["numberRecordsFailed"]) == (4, 1)
    failed = simple_sf.bulk2.Lead.get_failed_records(result["job_id"])
    assert "REQUIRED_FIELD_MISSING" in failed and "ma-0" in failed
    pages = list(simple_sf.bulk2.Lead.query("SELECT Revloop_MA_Id__c FROM Lead", max_records=2, wait=0.01))
    assert len(pages) == 2 and sum(page.count("ma-") for page in pages) == 3
