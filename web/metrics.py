"""Prometheus metrics: requests, latency, orders placed, jobs run and failed."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

REQUESTS = Counter("qudao_http_requests_total", "HTTP requests", ["method", "status"])
LATENCY = Histogram("qudao_http_request_seconds", "HTTP request latency")
ORDERS = Counter("qudao_orders_placed_total", "Orders placed")
JOBS = Counter("qudao_jobs_total", "Background jobs run", ["actor", "outcome"])


def observe_request(method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method=method, status=str(status)).inc()
    LATENCY.observe(seconds)


def render() -> tuple[bytes, str]:
    return generate_latest(), CONTENT_TYPE_LATEST
