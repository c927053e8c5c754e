"""What a running node tells its operators: Prometheus metrics and structured logs."""
