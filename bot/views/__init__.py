"""What the bot shows in Slack, as pure functions returning Block Kit JSON and mrkdwn strings.

Nothing here calls Slack or reads a clock: handlers pass ``now`` in and send what comes back.
User text is escaped on the way in (``escaping``), so no view can ping a channel or hide a link.

- ``card``: the incident card and its fallback text
- ``audit``: the thread's one-line log of each change
- ``messages``: ephemeral replies (show, timeline, list, errors)
- ``card_refusal``: what people are told about a card Slack refused
- ``modals``: the declare and resolve modals and their parsers
- ``action_ids``: stable ids of controls and how their values carry the incident ref
"""
