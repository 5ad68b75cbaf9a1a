"""The steps of the test workflow; each records its call so tests can see what ran, in order."""

import json
from typing import Any

calls: list[str] = []


class MediaRejected(Exception):
    """The input cannot be processed; the workflow catches this one."""


def probe(event: dict[str, Any], context: Any) -> dict[str, Any]:
    calls.append("probe")
    return {**event, "duration": 12.5, "steps": ["probe"]}


def process(event: dict[str, Any], context: Any) -> dict[str, Any]:
    calls.append("process")
    if event.get("corrupt"):
        raise MediaRejected("unreadable stream")
    if event.get("crash"):
        raise RuntimeError("ffmpeg crashed")
    return {**event, "output": f"{event['key']}.mp4", "steps": [*event["steps"], "process"]}


def finalize(event: dict[str, Any], context: Any) -> dict[str, Any]:
    calls.append("finalize")
    return {**event, "steps": [*event["steps"], "finalize"], "status": "done"}


def reject(event: dict[str, Any], context: Any) -> dict[str, Any]:
    calls.append("reject")
    cause = json.loads(event["error"]["Cause"])
    return {"key": event["key"], "status": "rejected", "reason": cause["errorMessage"]}
