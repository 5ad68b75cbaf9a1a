"""One synthesis of the Herald app for the whole session (synthesis takes many seconds)."""

from __future__ import annotations

import os

import pytest

# jsii prints a banner on every start when Node is older than it would like.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk.assertions import Template

from infra.app import STACK_NAME, build_app
from infra.stack import HeraldStack
from tests.infra.synthesized import Synthesized


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    # cdk-nag runs in test_compliance against this same tree, so that one finding fails one
    # test with a readable list instead of failing synthesis for every test.
    app = build_app(outdir=str(tmp_path_factory.mktemp("cdk.out")), nag=False)
    app.synth()
    stack = app.node.find_child(STACK_NAME)
    assert isinstance(stack, HeraldStack)
    template = Template.from_stack(stack)
    return Synthesized(
        app=app, stack=stack, template=template, resources=template.to_json()["Resources"]
    )
