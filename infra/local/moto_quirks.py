"""Corrections to moto where local mode needs the real service's behaviour.

moto runs in this process, so the corrections are patches of its server-side code; they apply
to every client, including the functions' own.
"""

import uuid
from typing import Any

from moto.stepfunctions.parser.models import StepFunctionsParserBackend

_PATCHED = "_herald_local_patched"


def name_unnamed_executions() -> None:
    """Give StartExecution calls without a name a fresh one, as AWS does.

    moto 5.2's executing backend names such an execution `None`: the second unnamed execution of
    a state machine then fails with ExecutionAlreadyExists, or, while the first one still runs
    with the same input, silently returns that one instead of starting anew.
    """
    original = StepFunctionsParserBackend.start_execution
    if getattr(original, _PATCHED, False):
        return

    def start_execution(
        self: StepFunctionsParserBackend,
        state_machine_arn: str,
        name: Any = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        return original(self, state_machine_arn, name or str(uuid.uuid4()), *args, **kwargs)

    setattr(start_execution, _PATCHED, True)
    StepFunctionsParserBackend.start_execution = start_execution  # type: ignore[method-assign]


def apply_all() -> None:
    name_unnamed_executions()
