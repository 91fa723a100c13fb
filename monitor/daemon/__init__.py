"""Daemon: the scheduler that polls, dispatches and sends digests, and its health endpoints."""
