"""Incidents: decide which incident an attack report belongs to, and reconcile its fields."""
