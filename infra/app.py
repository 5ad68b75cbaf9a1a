"""The CDK app: `python -m infra.app` (what `cdk synth` runs) or `build_app()` from code."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
from aws_cdk import Validations
from cdk_nag import AwsSolutionsChecks

from functions.shared.groups import code_packages
from infra.bundling import bundle
from infra.config import DEFAULTS, ROOT, HeraldConfig
from infra.stack import HeraldStack

STACK_NAME = "Herald"


def cdk_json_context() -> dict[str, Any]:
    """The context of cdk.json (feature flags, defaults), also when not run by the CDK CLI."""
    path = ROOT / "cdk.json"
    if not path.is_file():
        return {}
    context: dict[str, Any] = json.loads(path.read_text()).get("context", {})
    return context


def build_app(*, outdir: str | None = None, nag: bool = True, **context: Any) -> cdk.App:
    """Create the app with its one stack, bundling the Lambda code first.

    `context` overrides cdk.json's context (e.g. `stage="prod"`); under the CDK CLI, `-c`
    values override both. With `nag`, cdk-nag's AWS Solutions checks run during synthesis and
    any unacknowledged finding fails it.
    """
    app = cdk.App(
        outdir=outdir,
        context={**cdk_json_context(), **context},
        # No AWS::CDK::Metadata resource: nothing to report, and the template stays the same
        # whichever CLI version synthesizes it.
        analytics_reporting=False,
    )
    config = HeraldConfig.from_context({key: app.node.try_get_context(key) for key in DEFAULTS})
    built = bundle(code_packages())
    HeraldStack(
        app,
        STACK_NAME,
        config=config,
        bundle=built,
        description=f"Herald {config.stage}: serverless social-media automation backend",
    )
    if nag:
        Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app


def main() -> None:
    build_app().synth()


if __name__ == "__main__":
    main()
