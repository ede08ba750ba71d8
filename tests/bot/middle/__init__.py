"""Tests of the middle layer (service, verbs, effects, SLA planning and scheduling, Slack
receivers), each driven directly on a real SQLite store: no HTTP, no Slack."""
