"""The bot's Prometheus series (SPEC §12). Each is incremented with one line where the thing happens.

Labels stay bounded: kinds, results, sources, severities, route templates. Never an incident, user or channel
id, and never a raw path: every distinct label value is a time series Prometheus keeps forever.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram, disable_created_metrics

# A ``_created`` twin of every counter and histogram doubles the series Prometheus stores, for a
# start time that process_start_time_seconds already tells.
disable_created_metrics()  # type: ignore[no-untyped-call]  # prometheus_client leaves it untyped

HTTP_REQUESTS = Counter(
    "firebreak_http_requests_total",
    "HTTP requests answered, by route template, method and status code.",
    ["route", "method", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "firebreak_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template and method.",
    ["route", "method"],
)
COMMANDS = Counter(
    "firebreak_commands_total",
    "Commands the handler ran, by kind and result (applied, duplicate, refused, unavailable).",
    ["kind", "result"],
)
DELIVERIES = Counter(
    "firebreak_deliveries_total",
    "Outbox deliveries attempted, by kind and result.",
    ["kind", "result"],
)
SLACK_RATE_LIMITED = Counter(
    "firebreak_slack_rate_limited_total",
    "Slack answers of 429 (rate limited) the bot waited out.",
)
SLACK_RATE_LIMIT_WAIT = Counter(
    "firebreak_slack_rate_limit_wait_seconds_total",
    "Seconds of Retry-After that Slack's 429 answers asked the bot to wait.",
)
SCHEDULER_TICK_DURATION = Histogram(
    "firebreak_scheduler_tick_duration_seconds",
    "Time one SLA scheduler tick took.",
)
REMINDERS_SENT = Counter(
    "firebreak_reminders_sent_total",
    "SLA reminders sent, by clock kind.",
    ["clock"],
)
AI_CALLS = Counter(
    "firebreak_ai_calls_total",
    "Calls to the AI model, by result (answered, timeout, error).",
    ["result"],
)
AI_FALLBACKS = Counter(
    "firebreak_ai_fallbacks_total",
    "AI drafts written from the template instead, by reason (no_key, paused, failed, unusable).",
    ["reason"],
)
ALERTS_RECEIVED = Counter(
    "firebreak_alerts_received_total",
    "Alert notifications received, by source and result "
    "(accepted, duplicate, invalid, unauthorized, too_large, unavailable, off).",
    ["source", "result"],
)
