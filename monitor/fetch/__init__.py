"""Fetch: feed URLs and local files -> ``FetchResult`` (conditional GET, limits, guard)."""
