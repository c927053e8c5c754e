"""Benchmarks for dealer-chat against a bare websockets relay (B0) and python-socketio (P1).

Run ``bench/run`` (or ``bench/run --tiny``); see docs/benchmarks.md.
"""
