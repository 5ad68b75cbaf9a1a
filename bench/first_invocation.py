"""One cold start, in this process: import a handler module and, for an API function, answer its
first event.

Run by bench/cold_start.py in a fresh interpreter each time, as
`first_invocation <module> <path> <status>` (an API function: a GET of `path` must answer
`status`) or `first_invocation <module>` (a worker: its entry point is imported and ready, which
is a Lambda function's init phase; each task's own code is imported by its first event).
"""

import importlib
import sys

from tests.support.events import lambda_context, rest_proxy_event


def main(module_name: str, path: str | None = None, status: str = "200") -> None:
    handler = importlib.import_module(module_name).handler
    if path is None:
        if not callable(handler):
            sys.exit(f"{module_name}.handler is not callable")
        return
    prefix = path.rsplit("/", 1)[0]
    event = rest_proxy_event("GET", path, resource=f"{prefix}/{{proxy+}}")
    response = handler(event, lambda_context("cold-start-bench"))
    if response["statusCode"] != int(status):
        sys.exit(f"{module_name} answered {response['statusCode']}: {response['body']}")


if __name__ == "__main__":
    main(*sys.argv[1:])
