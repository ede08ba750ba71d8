"""The status page's emails (SPEC §14), as plain text: the confirmation of a subscription, and one
for each update published on a public incident and for its resolution. Every email but the
confirmation carries its unsubscribe link in its text and in the ``List-Unsubscribe`` headers.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.views.public_status import public_text


@dataclass(frozen=True)
class EmailText:
    subject: str
    body: str


def confirmation_email(page_title: str, confirm_url: str) -> EmailText:
    return EmailText(
        subject=f"Confirm your subscription to {page_title}",
        body=(
            f"Someone, hopefully you, asked for emails about incidents from {page_title}.\n\n"
            f"To confirm, open this link and press Confirm:\n{confirm_url}\n\n"
            "If it was not you, ignore this email: without confirmation you get nothing more.\n"
        ),
    )


def incident_email(
    page_title: str, number: str, title: str, *, text: str | None, resolved: bool, page_url: str, unsubscribe_url: str
) -> EmailText:
    """An update (``text``) published on a public incident, or its resolution."""
    shown = public_text(title)
    what = "resolved" if resolved else "update"
    said = public_text(text) if text else "This incident is resolved."
    return EmailText(
        subject=f"[{page_title}] {number} {what}: {shown}",
        body=(
            f"{number}: {shown}\n\n{said}\n\n"
            f"Current status: {page_url}\n\n"
            f"You get these emails because you subscribed to {page_title}. "
            f"Unsubscribe with one click: {unsubscribe_url}\n"
        ),
    )
