"""Scriptable stub ACS: CWMP endpoint, per-CPE sessions and RPC queue, journal, verdicts."""
