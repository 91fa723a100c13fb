"""Detect: is an entry a report of a specific attack? Which, where, when, by whom; which rules."""

from monitor.detect.detector import Detector

__all__ = ["Detector"]
