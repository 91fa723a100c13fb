"""Alerts: the outbox (deliveries written with the incident change), dispatcher and channels."""
