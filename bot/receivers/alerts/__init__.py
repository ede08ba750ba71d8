"""Alerts in (SPEC §11): Alertmanager, Grafana and generic JSON webhooks, each parsed into an
``AlertNotification`` and handed to the handler's ``AlertIntake`` in one transaction
(:mod:`.alert_routes`)."""
