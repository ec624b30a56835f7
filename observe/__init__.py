"""The operator's window into a running process: an HTTP endpoint with ``/healthz`` and Prometheus ``/metrics``.

Nothing here knows about news or Telegram: the application hands in a metrics registry and a health callable.
"""
