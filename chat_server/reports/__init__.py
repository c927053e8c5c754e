"""The manager's dashboard: pure statistics over plain records, and the queries that feed them."""
