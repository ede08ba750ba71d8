"""Slack in: the signed HTTP endpoint, the Bolt app, and one receiver per kind of payload."""
