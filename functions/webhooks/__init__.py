"""Inbound platform webhooks, notifications and outbound customer webhooks."""
