"""monitor: poll news feeds, detect attacks on watched targets, group reports into incidents, alert."""

from __future__ import annotations

__version__ = "0.1.0"
