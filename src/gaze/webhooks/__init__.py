"""Webhooks: every job event a job asked for is POSTed, signed, to its `webhook_url`.

Deliveries are written in the same transaction as the event (an outbox), then sent with
retries and exponential backoff by the sender thread of any worker process.
"""
