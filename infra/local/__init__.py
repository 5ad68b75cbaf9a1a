"""Local mode: the function groups on one port, with AWS emulated in-process by moto.

`python -m infra.local --port 8000` (what `make dev` runs) starts moto as a server, creates in it
the resources of the synthesized CDK stack, registers the stack's Lambda functions as in-process
handlers, starts the local scheduler and serves every group's API under its own prefix.
"""
