"""The runbook message in an incident's thread (SPEC §13): the service's steps, each with Done until
it is done, then who did it and when. Edited in place as steps are done."""

from __future__ import annotations

from dataclasses import dataclass

from bot.views import action_ids as ids
from bot.views.blocks import Block, button, context, section
from bot.views.escaping import escape_mrkdwn
from bot.views.formatting import SLACK, TIME_ONLY
from domain.incident import Incident
from domain.lifecycle import Status
from domain.services import RunbookMark, RunbookStep, Service, mark_of


@dataclass(frozen=True)
class RunbookLine:
    number: int
    step: RunbookStep
    done: RunbookMark | None


def runbook_lines(incident: Incident, service: Service) -> list[RunbookLine]:
    return [
        RunbookLine(number, step, mark_of(incident.runbook, number))
        for number, step in enumerate(service.runbook, start=1)
    ]


def progress(lines: list[RunbookLine]) -> str:
    return f"{sum(line.done is not None for line in lines)} of {len(lines)} done"


def runbook_message(incident: Incident, service: Service) -> tuple[str, list[Block]]:
    """The message's text and blocks; Done buttons while the incident is not closed."""
    lines = runbook_lines(incident, service)
    title = f"Runbook for {service.name} ({incident.ref})"
    blocks: list[Block] = [section(f"*{escape_mrkdwn(title)}* · {progress(lines)}")]
    for line in lines:
        blocks.append(_step_block(incident, line))
    if incident.status is Status.CLOSED:
        blocks.append(context(f"{incident.ref} is closed; the runbook stays as it was left."))
    return f"{title}: {progress(lines)}", blocks


def _step_block(incident: Incident, line: RunbookLine) -> Block:
    text = f"*{line.number}.* {escape_mrkdwn(line.step.text)}"
    if line.step.link:
        text += f" · <{line.step.link}|open>"
    if line.done is not None:
        # A person by mention: the message is edited to say it, and an edit notifies nobody.
        when = SLACK.moment(line.done.at, TIME_ONLY)
        return section(f"~{text}~\n✅ done by {SLACK.actor(line.done.by)} at {when}")
    # Slack would make up a block_id for a block sent without one; ours names the step.
    block = section(text) | {"block_id": f"{ids.RUNBOOK_DONE}:{line.number}"}
    if incident.status is not Status.CLOSED:
        block["accessory"] = button("Done", ids.RUNBOOK_DONE, ids.encode_choice(incident.ref, str(line.number)))
    return block
