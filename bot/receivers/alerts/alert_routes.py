"""``POST /alerts/alertmanager``, ``POST /alerts/grafana`` and ``POST /alerts`` (SPEC §11).

Each answer is JSON and says what happened, since it ends up in the sender's logs: 200 once the
notification is committed (which incidents it declared or updated), 400 naming the field that is
wrong, 401, 404 while the source is off (and how to turn it on), 413 over 1 MiB, and 503 when the
database is unavailable, so that Alertmanager sends it again; the intake's one transaction means
nothing of it was stored, and the key (a hash of the source and body) makes a resend harmless.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.handler.alert_intake import ALERT_INTAKE, AlertsNotReady, IntakeResult
from bot.receivers.alerts.alert_auth import bearer_matches, grafana_signature_problem
from bot.receivers.alerts.alert_payloads import (
    ALERTMANAGER,
    GRAFANA,
    alertmanager_notification,
    grafana_notification,
)
from bot.receivers.alerts.generic_payload import GENERIC, generic_notification
from bot.receivers.alerts.payload_fields import PayloadError, parse_json
from bot.receivers.outage import log_unavailable
from bot.runtime.metrics import ALERTS_RECEIVED
from bot.runtime.settings import Settings
from domain.alerts import AlertNotification
from storage.availability import database_unavailable
from storage.lock_waits import Busy

log = logging.getLogger(__name__)

MAX_ALERT_BODY_BYTES = 1024 * 1024
_READ_CHUNK_BYTES = 64 * 1024
_TURN_ON = "README, 'Alerts in'"


@dataclass(frozen=True)
class AlertSource:
    name: str
    path: str
    parse: Callable[[object], AlertNotification]
    title: str
    signed: bool = False
    """Grafana's HMAC signature is accepted in place of the bearer token."""


SOURCES = (
    AlertSource(ALERTMANAGER, "/alerts/alertmanager", alertmanager_notification, "Alertmanager"),
    AlertSource(GRAFANA, "/alerts/grafana", grafana_notification, "Grafana", signed=True),
    AlertSource(GENERIC, "/alerts", generic_notification, "Generic"),
)


@dataclass(frozen=True)
class Answer:
    status: int
    result: str
    """The ``result`` label of firebreak_alerts_received_total."""
    body: dict[str, Any]


class AlertReceiver:
    """One source's endpoint, with the credentials that turn it on."""

    def __init__(self, source: AlertSource, token: str | None, secret: str | None) -> None:
        self._source = source
        self._token = token
        self._secret = secret if source.signed else None

    async def receive(self, request: web.Request) -> web.Response:
        answer = await self._answer(request)
        ALERTS_RECEIVED.labels(source=self._source.name, result=answer.result).inc()
        headers = {"WWW-Authenticate": 'Bearer realm="firebreak alerts"'} if answer.status == 401 else None
        return web.json_response(answer.body, status=answer.status, headers=headers)

    async def _answer(self, request: web.Request) -> Answer:
        if self._token is None and self._secret is None:
            return Answer(404, "off", {"error": self._off()})
        by_token = self._token is not None and bearer_matches(request.headers.get("Authorization"), self._token)
        if not by_token and self._secret is None:
            return self._refused("no bearer token, or not ALERTS_TOKEN: send Authorization: Bearer $ALERTS_TOKEN")
        body = await _bounded_body(request)
        if body is None:
            log.info("refused an alert notification over 1 MiB", extra={"source": self._source.name})
            return Answer(413, "too_large", {"error": f"the body is over {MAX_ALERT_BODY_BYTES} bytes (1 MiB)"})
        if not by_token and self._secret is not None:
            problem = grafana_signature_problem(request.headers, body, self._secret, time.time())
            if problem is not None:
                return self._refused(problem)
        try:
            notification = self._source.parse(parse_json(body))
        except PayloadError as error:
            log.info(
                "refused a malformed alert notification", extra={"source": self._source.name, "problem": str(error)}
            )
            return Answer(400, "invalid", {"error": str(error)})
        # An identical resend (Alertmanager retrying, an HA pair's twin) has the same key: a no-op.
        key = hashlib.sha256(f"{self._source.name}\n".encode() + body).hexdigest()
        return await self._take(request, notification, key)

    async def _take(self, request: web.Request, notification: AlertNotification, key: str) -> Answer:
        ids = {"source": notification.source, "group_key": notification.group_key[:120]}
        try:
            result = await request.app[ALERT_INTAKE].take(notification, key=key)
        except (AlertsNotReady, Busy) as error:
            log.info("asked for an alert notification again", extra=ids | {"reason": error.message})
            return _not_stored(error.message)
        except Exception as error:
            if database_unavailable(error):
                log_unavailable("an alert notification", error, ids)
                return _not_stored("The database is unavailable.")
            error_id = uuid.uuid4().hex[:10]
            log.exception("unexpected error taking an alert notification", extra=ids | {"error_id": error_id})
            # One transaction: nothing was committed, so a retry is safe, and may well succeed.
            return _not_stored(f"Unexpected error {error_id}.")
        log.info("took an alert notification", extra=ids | _taken(result) | {"alerts": len(notification.alerts)})
        return Answer(200, "duplicate" if result.duplicate else "accepted", {"ok": True} | _taken(result))

    def _refused(self, problem: str) -> Answer:
        log.info(
            "refused an alert notification: not authenticated", extra={"source": self._source.name, "problem": problem}
        )
        return Answer(401, "unauthorized", {"error": problem})

    def _off(self) -> str:
        credentials = "ALERTS_TOKEN or GRAFANA_WEBHOOK_SECRET" if self._source.signed else "ALERTS_TOKEN"
        title = self._source.title
        return f"{title} alerts are off: set {credentials} in the bot's environment to turn them on ({_TURN_ON})"


def _taken(result: IntakeResult) -> dict[str, Any]:
    """Which incidents the notification declared or updated ("INC-42"); a duplicate changed none."""
    return {
        "declared": [f"INC-{number}" for number in result.declared],
        "updated": [f"INC-{number}" for number in result.updated],
        "duplicate": result.duplicate,
    }


def _not_stored(reason: str) -> Answer:
    """503: Alertmanager and Grafana send it again, and the intake's single transaction means no
    part of it was stored."""
    return Answer(503, "unavailable", {"error": f"{reason} Nothing was stored; send it again."})


async def _bounded_body(request: web.Request) -> bytes | None:
    """The whole body, or None as soon as it is known to be over the limit (before reading it all)."""
    if (request.content_length or 0) > MAX_ALERT_BODY_BYTES:
        return None
    body = bytearray()
    while chunk := await request.content.read(_READ_CHUNK_BYTES):
        body += chunk
        if len(body) > MAX_ALERT_BODY_BYTES:
            return None
    return bytes(body)


def add_alerts(app: web.Application, settings: Settings) -> None:
    """The alert endpoints; each answers 404 (saying how to turn it on) until its credential is set."""
    for source in SOURCES:
        receiver = AlertReceiver(source, settings.alerts_token, settings.grafana_webhook_secret)
        app.router.add_post(source.path, receiver.receive)
