"""Getting committed side effects to Slack: outbox message kinds, senders, the dispatcher."""
