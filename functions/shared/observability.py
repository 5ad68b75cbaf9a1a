"""Powertools logging and metrics, shared by every function of a group.

Tracer is left out on purpose: it imports the X-Ray SDK, which costs more cold-start time than a
health check is worth. Active tracing on the functions (set in CDK) still records each invocation.
"""

import logging

from aws_lambda_powertools import Logger, Metrics

logger = Logger()
metrics = Metrics(namespace="Herald")

# httpx logs every request's full URL at INFO; some platforms (Threads) take tokens in the query.
logging.getLogger("httpx").setLevel(logging.WARNING)
