"""Slack requests in: each receiver turns one kind of payload into domain commands and acks."""
