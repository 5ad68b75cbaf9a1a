"""Tracked links: the public redirect of a short link, and the attribution report of a post."""

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from functions.analytics.domain.link_models import PostAttribution
from functions.analytics.routes.export import CSV_EXPORT, Export
from functions.analytics.routes.reports import READ, AnalyticsReader
from functions.shared.access import ID_PATTERN
from functions.shared.problems import PROBLEM_MEDIA_TYPE
from functions.shared.tracked_links import CODE_PATTERN

redirects = APIRouter(tags=["analytics"])
router = APIRouter(prefix="/v1/analytics", tags=["analytics"])

LinkCode = Annotated[str, Path(pattern=CODE_PATTERN, description="The short link's code.")]
PostId = Annotated[str, Path(pattern=ID_PATTERN, description="The post.")]


@redirects.get(
    "/l/{code}",
    status_code=status.HTTP_302_FOUND,
    response_class=RedirectResponse,
    description="Public: a short link of a published post. Answers 302 to its destination with "
    "`utm_source=<platform>&utm_medium=social&utm_campaign=herald&utm_content=<post id>` (the "
    "destination's other query parameters kept) and counts the click; 404 for an unknown code. "
    "One client address may follow one code `HERALD_ANALYTICS_REDIRECT_REQUESTS` times per "
    "rate-limit window (60 per minute by default); beyond, 429 with `Retry-After`, uncounted.",
    responses={
        429: {
            "description": "This address followed this link too often; retry after "
            "`Retry-After` seconds (problem details).",
            "headers": {
                "Retry-After": {
                    "description": "Seconds until the window resets.",
                    "schema": {"type": "integer", "minimum": 1},
                }
            },
            "content": {
                PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
            },
        }
    },
    name="follow_tracked_link",
)
async def follow_link(request: Request, code: LinkCode) -> RedirectResponse:
    from functions.analytics.domain import links

    # Read as they come, never refused: a click must not fail on what its browser sends
    # (the domain keeps a Referer only if it is an event URL, and only digests the User-Agent).
    headers = request.headers
    client = request.client.host if request.client else None
    location = await run_in_threadpool(
        links.follow, code, client, headers.get("user-agent"), headers.get("referer")
    )
    # Every click must reach Herald: a cached redirect would skip counting it.
    return RedirectResponse(
        location, status_code=status.HTTP_302_FOUND, headers={"Cache-Control": "no-store"}
    )


@router.get(
    "/posts/{post_id}/attribution",
    description=READ,
    response_model=PostAttribution,
    responses=CSV_EXPORT,
)
async def get_post_attribution(
    access: AnalyticsReader, post_id: PostId, export: Export
) -> PostAttribution | Response:
    """Clicks on a post's tracked links per target and platform, and the site events and revenue
    that arrived with its UTM parameters. 404 when the workspace has no post with tracked links of
    this id."""
    from functions.analytics.domain import links

    return await export.respond(
        access, await run_in_threadpool(links.post_attribution, access, post_id)
    )
