"""The Lambda code and dependency layer are built without Docker and run on plain Python 3.13."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from functions.shared.groups import GROUPS, code_packages, group_named
from infra import bundling
from tests.infra.synthesized import Synthesized

ROOT = Path(__file__).resolve().parents[2]
# Lambda's environment for an invocation of the health route through API Gateway.
INVOKE = """
import json, sys, types
group, module, prefix, health = sys.argv[1:]
assert not any("site-packages" in path for path in sys.path), sys.path
handler = __import__(module, fromlist=["handler"]).handler
context = types.SimpleNamespace(
    function_name=f"herald-{group}", memory_limit_in_mb=512, aws_request_id="test-request",
    invoked_function_arn=f"arn:aws:lambda:us-east-1:123456789012:function:herald-{group}",
)
event = {
    "resource": prefix + "/{proxy+}", "path": health, "httpMethod": "GET",
    "headers": {"Host": "api.example.com"}, "multiValueHeaders": {},
    "queryStringParameters": None, "multiValueQueryStringParameters": None,
    "pathParameters": None, "stageVariables": None, "body": None, "isBase64Encoded": False,
    "requestContext": {
        "requestId": "test-request", "stage": "dev", "httpMethod": "GET",
        "resourcePath": prefix + "/{proxy+}", "path": f"/dev{health}",
        "identity": {"sourceIp": "192.0.2.1"},
    },
}
print("RESPONSE " + json.dumps(handler(event, context)))
"""


def relative_files(tree: Path) -> set[str]:
    return {str(path.relative_to(tree)) for path in tree.rglob("*") if path.is_file()}


@pytest.mark.parametrize("code", code_packages())
def test_function_bundle_holds_its_group_and_shared_only(
    synthesized: Synthesized, code: str
) -> None:
    built = bundling.LAMBDA_BUILD_DIR / code
    source = ROOT / "functions"
    expected = {"functions/__init__.py"} | {
        f"functions/{path}"
        for package in ("shared", code)
        for path in relative_files(source)
        if path.startswith(f"{package}/")
        and "__pycache__" not in path
        and not path.endswith(".pyc")
    }
    assert relative_files(built) == expected


def test_layer_holds_the_runtime_requirements_only() -> None:
    requirements = bundling.export_requirements()
    pinned = {
        line.split("==")[0].strip().lower()
        for line in requirements.splitlines()
        if "==" in line and not line.lstrip().startswith("#")
    }
    assert {"fastapi", "mangum", "pydantic", "pynamodb", "aws-lambda-powertools"} <= pinned
    assert pinned.isdisjoint({"aws-cdk-lib", "cdk-nag", "cfn-lint", "pytest", "moto", "mypy"})
    installed = {
        path.name.split("-")[0].lower().replace("_", "-")
        for path in (bundling.LAYER_DIR / "python").glob("*.dist-info")
    }
    assert installed == pinned


def test_layer_is_prebuilt_for_lambda() -> None:
    python = bundling.LAYER_DIR / "python"
    compiled = list(python.glob("pydantic_core/*.so"))
    assert compiled
    assert all("x86_64-linux-gnu" in so.name for so in compiled)
    # Bytecode with unchecked hashes: flags 0b01 in the .pyc header (PEP 552).
    pyc = next(python.glob("fastapi/__pycache__/applications.cpython-313.pyc"))
    assert int.from_bytes(pyc.read_bytes()[4:8], "little") == 0b01


def test_layer_is_not_reinstalled_when_requirements_are_unchanged() -> None:
    before = (bundling.LAYER_DIR / "python").stat().st_ino
    assert bundling.build_layer() == bundling.LAYER_DIR
    assert (bundling.LAYER_DIR / "python").stat().st_ino == before


def test_function_and_layer_fit_lambda_limit(synthesized: Synthesized) -> None:
    built = bundling.Bundle(
        layer=bundling.LAYER_DIR,
        functions={code: bundling.LAMBDA_BUILD_DIR / code for code in code_packages()},
    )
    sizes = bundling.size_report(built)
    # One bundle per code directory: the generation group runs the media group's.
    assert set(sizes) == {group.code for group in GROUPS} == set(code_packages())
    assert all(0 < size < bundling.LAMBDA_UNZIPPED_LIMIT for size in sizes.values()), sizes


@pytest.mark.parametrize("group", [group.name for group in GROUPS])
def test_bundle_answers_health_on_bare_python(synthesized: Synthesized, group: str) -> None:
    """Layer + function code alone (no venv, no site-packages) serve the group's health route,
    with the environment the template gives the function."""
    function_id = synthesized.function_id(group)
    variables = synthesized.resources[function_id]["Properties"]["Environment"]["Variables"]
    plain = {name: value for name, value in variables.items() if isinstance(value, str)}
    function_group = group_named(group)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": (
            f"{bundling.LAYER_DIR / 'python'}:{bundling.LAMBDA_BUILD_DIR / function_group.code}"
        ),
        "AWS_REGION": "us-east-1",
        "AWS_LAMBDA_FUNCTION_NAME": f"herald-{group}",
        **plain,
    }
    result = subprocess.run(
        [
            sys.executable,
            "-S",
            "-s",
            "-c",
            INVOKE,
            group,
            function_group.module,
            function_group.prefixes[0],
            function_group.health_path,
        ],
        env=env,
        cwd="/",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    response_line = next(
        line for line in result.stdout.splitlines() if line.startswith("RESPONSE ")
    )
    response = json.loads(response_line.removeprefix("RESPONSE "))
    assert response["statusCode"] == 200, response
    body = json.loads(response["body"])
    assert (body["group"], body["version"], body["stage"]) == (
        group,
        plain["HERALD_VERSION"],
        "dev",
    )
