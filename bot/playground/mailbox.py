"""The playground's mailbox: an SMTP server (aiosmtpd) in the bot's own process, which the status
page's emails go to (SPEC §14) when no SMTP_URL is set, and a page at ``/playground/mailbox`` to
read them. The emails take the real path (outbox, dispatcher, aiosmtplib); only the server is
local. The newest 200 are kept in memory: a restart empties the mailbox.
"""

from __future__ import annotations

import html
import logging
import re
from collections import deque
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from bot.runtime.child_environment import free_port

PLAYGROUND_FROM = "status@playground.localhost"
KEPT = 200
_LINK = re.compile(r"https?://[^\s<>\"]+")


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    date: str
    body: str
    unsubscribe: str | None


class PlaygroundMailbox:
    def __init__(self) -> None:
        self.port = free_port()
        self.mails: deque[Mail] = deque(maxlen=KEPT)
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        # aiosmtpd logs every connection at INFO, its own readiness check at start included: noise
        # in a new user's terminal, where the mails themselves are on the mailbox page.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:
        """aiosmtpd's hook: an email has arrived."""
        message = received_email(envelope)
        body = message.get_body(("plain",))
        self.mails.appendleft(
            Mail(
                to=str(message["To"]),
                subject=str(message["Subject"]),
                date=str(message["Date"]),
                body=body.get_content() if body is not None else "",
                unsubscribe=str(message["List-Unsubscribe"]) if message["List-Unsubscribe"] else None,
            )
        )
        return "250 OK"

    async def page(self, _request: web.Request) -> web.Response:
        mails = "".join(_shown(mail) for mail in self.mails) or "<p>No emails yet. Subscribe on the status page.</p>"
        return web.Response(text=_PAGE.format(mails=mails), content_type="text/html")


def received_email(envelope: Envelope) -> EmailMessage:
    """What an SMTP server received, as the email it is."""
    message = message_from_bytes(envelope.original_content or b"", policy=policy.default)
    assert isinstance(message, EmailMessage)  # policy.default makes EmailMessages
    return message


def _shown(mail: Mail) -> str:
    body = _LINK.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', html.escape(mail.body, quote=False))
    extra = f"<br>List-Unsubscribe: {html.escape(mail.unsubscribe)}" if mail.unsubscribe else ""
    return (
        f"<article><h2>{html.escape(mail.subject)}</h2><p class=meta>To {html.escape(mail.to)} · "
        f"{html.escape(mail.date)}{extra}</p><pre>{body}</pre></article>"
    )


_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Playground mailbox</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:50rem;margin:0 auto;padding:1rem}}
article{{border:1px solid #d0d7de;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}}
pre{{white-space:pre-wrap;overflow-wrap:anywhere}}.meta{{color:#59636e;font-size:.9rem}}</style></head>
<body><h1>Playground mailbox</h1><p>The status page's emails, newest first (<a href="/status">status page</a>).
Reload to see new ones.</p>{mails}</body></html>"""
