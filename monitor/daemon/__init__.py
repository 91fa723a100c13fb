"""The daemon: scheduler and jobs, multi-process leases, health and metrics.

``scheduler`` (the jobs and their lifecycle), ``polljob`` (claim and poll due feeds),
``digests`` (digest schedules), ``housekeeping`` (retention), ``health`` (/healthz,
/metrics), ``metrics`` (Prometheus), ``instance`` (process name, SQLite single-instance lock).
"""
