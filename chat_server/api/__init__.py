"""The REST API under ``/api/v1``: leads and conversations, per-dealership bearer tokens."""
