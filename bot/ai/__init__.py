"""AI-drafted stakeholder updates (SPEC §6): grounded in the incident's facts, sanitised, optional."""
