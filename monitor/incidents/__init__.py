"""Incidents: one attack is one incident, however many items report it.

The stage between detection and storage. Its public parts:

- :class:`~monitor.incidents.assign.Assigner` puts each attack of a stored item into an
  incident (joins, starts or merges incidents, keeps their keys and source counts): what
  ``Pipeline.ingest`` and ``monitor reprocess`` call, in the caller's transaction;
- :func:`~monitor.incidents.matcher.decide_all` (and ``decide``/``best_match``) picks the
  incident for a :class:`~monitor.incidents.matcher.Report` among candidates that
  ``repository.candidate_incidents`` found through indexes; pure, no I/O;
- :func:`~monitor.incidents.reconcile.reconcile` folds a report into an incident and names
  the material changes;
- :mod:`~monitor.incidents.duplicates` finds verbatim and syndicated copies of an item.

The rules are in the README, "How duplicates and updates are decided".
"""
