"""T1 idle memory, T2 chat latency and rate, T3 ring latency, T4 reconnect storm,
T5 ring latency to phones by Web Push."""
