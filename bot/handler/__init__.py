"""The one way in: every receiver hands its domain command to this package, which finds the
incident, decides, and writes events, projection, outbox rows and the idempotency key in one
transaction (batched by the group commit). It knows nothing of Slack."""
