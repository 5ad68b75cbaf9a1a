"""The AI composer, the workspace's brand voice and its AI usage (docs/ai.md).

Editors generate (API keys with `posts:write`); admins set the brand voice; viewers read it and
the usage. `openai` loads with the composer, inside the generating routes, never with the app.
"""

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from functions.publish.domain.ai_models import (
    AltTextRequest,
    AltTextResult,
    CaptionsRequest,
    Generated,
    GeneratedThread,
    HashtagsRequest,
    RewriteRequest,
    ShortenRequest,
    StrategyLibrary,
    ThreadRequest,
    TranslateRequest,
)
from functions.shared.access import Permissions
from functions.shared.ai_models import AiUsage, BrandVoice, BrandVoiceUpdate
from functions.shared.http.dependencies import (
    MediaWriter,
    PostsReader,
    PostsWriter,
    WorkspaceAdmin,
)

router = APIRouter(prefix="/v1/ai", tags=["ai"])

GENERATES = (
    f"{Permissions.POSTS_WRITE.description} Every text passes preflight for its target before "
    "it is returned (502 if the model never writes one that does); 503 when no AI endpoint is "
    "configured; 429 when the workspace's monthly token budget is spent."
)


@router.post("/captions", description=GENERATES)
async def generate_captions(access: PostsWriter, body: CaptionsRequest) -> Generated:
    """A caption per target, written from a brief in the brand voice."""
    from functions.publish.domain import composer

    return await run_in_threadpool(composer.captions, access, body)


@router.post("/rewrite", description=GENERATES)
async def rewrite_text(access: PostsWriter, body: RewriteRequest) -> Generated:
    """The text rewritten per target in another tone or length."""
    from functions.publish.domain import composer

    return await run_in_threadpool(composer.rewrite, access, body)


@router.post("/shorten", description=GENERATES)
async def shorten_text(access: PostsWriter, body: ShortenRequest) -> Generated:
    """The text shortened to fit each target; a target it fits gets it unchanged."""
    from functions.publish.domain import composer

    return await run_in_threadpool(composer.shorten, access, body)


@router.post("/hashtags", description=GENERATES)
async def suggest_hashtags(access: PostsWriter, body: HashtagsRequest) -> Generated:
    """Hashtags per target, appended to the text within the platform's limits."""
    from functions.publish.domain import composer

    return await run_in_threadpool(composer.hashtags, access, body)


@router.post("/translate", description=GENERATES)
async def translate_text(access: PostsWriter, body: TranslateRequest) -> Generated:
    """The text, or each target's text of a post, translated into a language per target."""
    from functions.publish.domain import composer

    return await run_in_threadpool(composer.translate, access, body)


@router.post(
    "/alt-text",
    description=f"{Permissions.MEDIA_WRITE.description} The image goes to the vision model "
    "(`HERALD_AI_VISION_MODEL`), downscaled; 503 when it is not configured; 429 when the "
    "workspace's monthly token budget is spent.",
)
async def describe_image(access: MediaWriter, body: AltTextRequest) -> AltTextResult:
    """Alt text for a library image, within the platforms' limits; optionally saved on it."""
    from functions.publish.domain import composer

    return await run_in_threadpool(composer.alt_text, access, body)


@router.get("/strategies", description=Permissions.POSTS_READ.description)
async def list_strategies(
    access: PostsReader,
    category: Annotated[
        str | None,
        Query(
            pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$",
            max_length=40,
            description="Only the strategies of this category (its id).",
        ),
    ] = None,
) -> StrategyLibrary:
    """The strategies library: presets a caption request can name as its `strategy`."""
    from functions.publish.domain import ai_strategies

    return ai_strategies.strategies(category)


@router.post("/thread", description=GENERATES)
async def split_into_thread(access: PostsWriter, body: ThreadRequest) -> GeneratedThread:
    """A long text split into an X or Threads thread, each post within the limit."""
    from functions.publish.domain import composer

    return await run_in_threadpool(composer.thread, access, body)


@router.get("/brand-voice", description=Permissions.POSTS_READ.description)
async def get_brand_voice(access: PostsReader) -> BrandVoice:
    from functions.shared import brand_voice

    return await run_in_threadpool(brand_voice.brand_voice_of, access.workspace_id)


@router.put("/brand-voice", description=Permissions.ADMINS.description)
async def put_brand_voice(access: WorkspaceAdmin, body: BrandVoiceUpdate) -> BrandVoice:
    from functions.shared import brand_voice

    return await run_in_threadpool(brand_voice.put_brand_voice, access, body)


@router.get("/usage", description=Permissions.POSTS_READ.description)
async def get_ai_usage(
    access: PostsReader,
    month: Annotated[
        str | None,
        Query(
            pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
            description="The calendar month (UTC), `YYYY-MM`; the current one if left out.",
        ),
    ] = None,
) -> AiUsage:
    from functions.shared import ai_usage

    return await run_in_threadpool(ai_usage.monthly_usage, access.workspace_id, month)
