"""Real services for tests: Redis and PostgreSQL started on free loopback ports."""
