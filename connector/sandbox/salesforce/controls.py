"""The Salesforce fake's extras over HTTP (``/__sandbox__/salesforce/...``): convert, touch, creates, clock.

Each one calls the fake's Python extra of the same purpose, for benchmarks and other processes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from connector.sandbox.framework import json_response
from connector.sandbox.salesforce.validate import RequestError, SaveError

if TYPE_CHECKING:
    from connector.sandbox.salesforce.fake import SalesforceFake


class ControlMixin:
    """Sandbox control handlers (mixed into SalesforceFake)."""

    def control_sf_convert(self: SalesforceFake, request: Request) -> Response:
        body = request.get_json(force=True) or {}
        return self._control(
            lambda: self.convert_lead(body["lead_id"], body.get("account_id"), body.get("opportunity_name"))
        )

    def control_sf_touch(self: SalesforceFake, request: Request) -> Response:
        body = request.get_json(force=True) or {}
        return self._control(lambda: self.touch(body["object"], body["id"], body.get("fields", {})))

    def control_sf_creates(self: SalesforceFake, request: Request) -> Response:
        return self._control(lambda: self.creates_by_key(request.args["object"], request.args["field"]))

    def control_sf_clock(self: SalesforceFake, request: Request) -> Response:
        body = request.get_json(force=True) or {}
        return self._control(lambda: self.advance_clock(float(body.get("advance_s", 0))) or {"ok": True})

    def _control(self, action: Callable[[], Any]) -> Response:
        try:
            return json_response(action())
        except SaveError as error:
            return json_response(error.single_json(), status=400)
        except (RequestError, KeyError, ValueError) as error:
            return json_response({"message": str(error)}, status=400)
