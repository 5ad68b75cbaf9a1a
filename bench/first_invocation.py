"""One cold start: import a handler module and answer its first health event, in this process.

Run by bench/cold_start.py in a fresh interpreter each time; exits non-zero unless it answers 200.
"""

import importlib
import sys

from tests.support.events import lambda_context, rest_proxy_event


def main(module_name: str, path: str) -> None:
    handler = importlib.import_module(module_name).handler
    prefix = path.rsplit("/", 1)[0]
    event = rest_proxy_event("GET", path, resource=f"{prefix}/{{proxy+}}")
    response = handler(event, lambda_context("cold-start-bench"))
    if response["statusCode"] != 200:
        sys.exit(f"{module_name} answered {response['statusCode']}: {response['body']}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
