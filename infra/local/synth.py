"""The CloudFormation template of the Herald stack, synthesized from the CDK app.

Synthesis runs in a child process: the CDK drives a Node.js process (jsii) that would otherwise
live as long as the local server and, sharing its terminal, die first on Ctrl-C.
`python -m infra.local.synth FILE` writes the template to FILE.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

STACK_NAME = "Herald"
REPOSITORY_ROOT = Path(__file__).resolve().parents[2]


class SynthesisError(RuntimeError):
    pass


def synthesize_template() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="herald-synth-") as directory:
        output = Path(directory) / "template.json"
        # Node.js version banners from jsii would otherwise open every start-up.
        environment = {
            "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
            **os.environ,
        }
        completed = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "infra.local.synth", str(output)],
            cwd=REPOSITORY_ROOT,
            env=environment,
            check=False,
            # Out of the terminal's process group: Ctrl-C reaches only the local server, which
            # stops this child itself, instead of every process printing its own traceback.
            start_new_session=True,
        )
        if completed.returncode != 0 or not output.exists():
            raise SynthesisError(f"Synthesizing the CDK app failed (exit {completed.returncode})")
        template: dict[str, Any] = json.loads(output.read_text(encoding="utf-8"))
        return template


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    from infra.app import build_app

    # cdk-nag only checks the deployed stack; local mode does not need its findings.
    assembly = build_app(nag=False).synth()
    template = assembly.get_stack_by_name(STACK_NAME).template
    Path(args[0]).write_text(json.dumps(template), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
