"""The generation function: `/v1/media/generate` and the video steps of the media job workflow.

Its own Lambda function, with the openai layer and only ffprobe of FFmpeg (docs/ai.md): the
media API function and the FFmpeg steps carry the whole FFmpeg build, beside which openai does
not fit in Lambda's 250 MiB. The state machine's StartVideo and PollVideo tasks invoke it with
the job steps' payload; every other step runs on the FFmpeg function.
"""

from typing import Any

from functions.media.workers import job_steps
from functions.shared.http.app import create_app, lambda_handler

app = create_app("generation", routers=("functions.media.routes.generate:router",))
_api_handler = lambda_handler(app)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """API Gateway's proxy requests, or a `{"step", "job"}` task of the media job workflow."""
    if "step" not in event:
        return _api_handler(event, context)
    if event["step"] not in job_steps.VIDEO_STEPS:
        raise ValueError(f"the {event['step']} step runs on the FFmpeg function, not here")
    result: dict[str, Any] = job_steps.handler(event, context)
    return result
