"""The AI composer: captions, rewrites, shortening, hashtags, translations, threads that pass
preflight, and alt text for library images.

Each text the model writes for a target is checked by the same preflight as a post
(`preflight.check_target`) and against the brand voice's words to avoid. A text that fails is
sent back to the model with what failed, at most `MAX_ATTEMPTS` times in all; if no attempt
passes, the request fails (502, `urn:herald:problem:ai-unfit`) rather than hand back a text
Herald itself would refuse. Problems text cannot fix (an account to reconnect, media missing)
are not retried: they come back in the target's preflight result.

Captions may look at the post's images and follow a preset of the strategies library; alt text
is written by the vision model within the strictest alt text limit of the platforms named.

Every call is charged to the workspace's monthly budget before it is made (`ai_usage`).
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from functions.publish.adapters import ai_images
from functions.publish.domain import ai_prompts, ai_strategies, post_store, posts, preflight
from functions.publish.domain.ai_models import (
    AiTarget,
    AltTextRequest,
    AltTextResult,
    CaptionsRequest,
    Generated,
    GeneratedText,
    GeneratedThread,
    HashtagsRequest,
    RewriteRequest,
    ShortenRequest,
    ThreadRequest,
    TranslateRequest,
)
from functions.publish.domain.platforms import platform_info
from functions.publish.domain.post_models import (
    MAX_TEXT,
    TargetPreflight,
    TargetSpec,
    ThreadPart,
)
from functions.shared.access import WorkspaceAccess
from functions.shared.activity import activity_entry
from functions.shared.ai_calls import AiSession
from functions.shared.ai_prompting import correction
from functions.shared.ai_setup import ChatMessage, GeneratedTextUnfit, Task
from functions.shared.images import ImageRejected
from functions.shared.media_items import MediaAssetItem
from functions.shared.problems import FieldError, NotFound, ValidationFailed
from functions.shared.tables import conflict_on_condition_failure, transaction, utc_now

MAX_ATTEMPTS = 3
MAX_THREAD_POSTS = 25
# Images a caption request shows the vision model: the first ones of the post.
MAX_IMAGES_LOOKED_AT = 4
LOOKABLE_KINDS = frozenset({"image", "gif"})
# Alt text limits, in characters, of the platforms that take it. X documents 1,000
# (https://docs.x.com/x-api/media/create-media-metadata); LinkedIn's Posts API 4,086 for a
# media's altText (https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api);
# Meta documents none for Instagram, Facebook or Threads, so the library's own bound applies.
LIBRARY_ALT_TEXT_LIMIT = 1000
ALT_TEXT_LIMITS = {"x": 1000, "linkedin": 4086}
# Preflight problems that a different text can fix; the others are left for the person.
TEXT_PROBLEMS = frozenset(
    {"text_too_long", "text_invalid", "too_many_hashtags", "too_many_mentions", "empty"}
)
_HASHTAG = re.compile(r"#\w+")
_THREAD_SEPARATOR = re.compile(rf"^\s*{re.escape(ai_prompts.THREAD_SEPARATOR)}\s*$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Draft:
    """One answer of the model, shaped: the text, and thread replies or hashtags if any."""

    text: str
    replies: tuple[str, ...] = ()
    hashtags: tuple[str, ...] | None = None


# Turns an answer into a draft, or says in words why it cannot.
Shaper = Callable[[str], Draft | str]


@dataclass(frozen=True, slots=True)
class _Facts:
    accounts: dict[str, preflight.AccountFacts]
    assets: dict[str, preflight.AssetFacts]
    media: list[str]

    def check(self, spec: TargetSpec, draft: Draft) -> TargetPreflight:
        replies = [ThreadPart.model_construct(text=reply, media=[]) for reply in draft.replies]
        target = preflight.EffectiveTarget(
            spec=spec.model_copy(update={"thread": replies}), text=draft.text, media=self.media
        )
        return preflight.check_target(target, self.accounts, self.assets)

    def platform(self, account_id: str) -> str:
        return self.accounts[account_id].platform

    def text_limit(self, spec: TargetSpec) -> int | None:
        platform = self.platform(spec.account_id)
        info = platform_info(platform)
        assert info is not None
        kinds = [self.assets[asset].kind for asset in self.media if asset in self.assets]
        name = preflight.content_type_name(platform, spec.options, kinds)
        content_type = next((c for c in info.content_types if c.name == name), None)
        return content_type.max_text_length if content_type is not None else None


def _facts(workspace_id: str, specs: Sequence[TargetSpec], media: Sequence[str]) -> _Facts:
    """The targets' accounts and the media, each of them the workspace's (404 otherwise)."""
    posts.refuse_invalid_options(workspace_id, specs, "/body/targets")
    accounts = post_store.account_facts(workspace_id, (spec.account_id for spec in specs))
    for spec in specs:
        if spec.account_id not in accounts:
            raise NotFound(f"Account {spec.account_id} was not found.")
    assets = post_store.asset_facts(workspace_id, media)
    for asset_id in media:
        if asset_id not in assets:
            raise NotFound(f"Media {asset_id} was not found.")
    return _Facts(accounts=accounts, assets=assets, media=list(media))


def _specs(targets: Sequence[AiTarget]) -> list[TargetSpec]:
    return [TargetSpec(account_id=target.account_id, options=target.options) for target in targets]


def _failures(session: AiSession, draft: Draft, checked: TargetPreflight) -> list[str]:
    failures = [
        problem.message
        for problem in checked.problems
        if problem.code in TEXT_PROBLEMS
        and problem.field is not None
        and (problem.field == "text" or problem.field.startswith("thread/"))
    ]
    avoided = session.avoided_words_in("\n".join((draft.text, *draft.replies)))
    if avoided:
        failures.append(f"It uses words the brand avoids: {', '.join(avoided)}.")
    return failures


def _ask_until_fit[Fitted](
    session: AiSession, task: ChatMessage, judge: Callable[[str], Fitted | list[str]], whose: str
) -> tuple[Fitted, int]:
    """Ask until `judge` accepts an answer (it lists what fails otherwise): (it, attempts), or
    502 naming what still fails after `MAX_ATTEMPTS`."""
    messages = [session.system, task]
    failures: list[str] = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        answer = session.ask(messages)
        judged = judge(answer)
        if not isinstance(judged, list):
            return judged, attempt
        failures = judged
        messages = [*messages, ChatMessage("assistant", answer), correction(failures)]
    raise GeneratedTextUnfit(
        f"After {MAX_ATTEMPTS} attempts the model's text for {whose} still fails Herald's "
        f"checks: {' '.join(failures)} Nothing was returned; try a shorter brief or text."
    )


def _fit(
    session: AiSession, facts: _Facts, spec: TargetSpec, task: ChatMessage, shape: Shaper
) -> tuple[Draft, TargetPreflight, int]:
    """Ask until a draft passes the checks: (draft, its preflight, attempts), or 502."""

    def judge(answer: str) -> tuple[Draft, TargetPreflight] | list[str]:
        shaped = shape(answer)
        if isinstance(shaped, str):
            return [shaped]
        checked = facts.check(spec, shaped)
        return _failures(session, shaped, checked) or (shaped, checked)

    whose = f"account {spec.account_id} ({facts.platform(spec.account_id)})"
    (draft, checked), attempts = _ask_until_fit(session, task, judge, whose)
    return draft, checked, attempts


def _plain_text(answer: str) -> Draft | str:
    if not answer:
        return "The answer was empty."
    if len(answer) > MAX_TEXT:
        return f"The answer is longer than any platform takes ({MAX_TEXT} characters)."
    return Draft(text=answer)


def _generate_each(
    access: WorkspaceAccess,
    targets: Sequence[AiTarget],
    media: Sequence[str],
    task_for: Callable[[AiSession, str, int | None], ChatMessage],
    shaper_for: Callable[[TargetSpec], Shaper] = lambda _spec: _plain_text,
    unchanged: str | None = None,
    model_for: Task = "text",
) -> Generated:
    """One fitted text per target; `unchanged` is returned as is where it already fits."""
    specs = _specs(targets)
    facts = _facts(access.workspace_id, specs, media)
    session = AiSession.open(access.workspace_id, ai_prompts.system_prompt, model_for)
    items = []
    for spec in specs:
        platform = facts.platform(spec.account_id)
        if unchanged is not None:
            as_is = Draft(text=unchanged)
            checked = facts.check(spec, as_is)
            if not _failures(session, as_is, checked):
                items.append(_generated(spec, platform, as_is, checked, 0))
                continue
        task = task_for(session, platform, facts.text_limit(spec))
        draft, checked, attempts = _fit(session, facts, spec, task, shaper_for(spec))
        items.append(_generated(spec, platform, draft, checked, attempts))
    return Generated(items=items, usage=session.usage)


def _generated(
    spec: TargetSpec, platform: str, draft: Draft, checked: TargetPreflight, attempts: int
) -> GeneratedText:
    return GeneratedText(
        account_id=spec.account_id,
        platform=platform,
        text=draft.text,
        hashtags=list(draft.hashtags) if draft.hashtags is not None else None,
        preflight=checked,
        attempts=attempts,
    )


def captions(access: WorkspaceAccess, body: CaptionsRequest) -> Generated:
    guidance = ai_strategies.strategy(body.strategy).guidance if body.strategy else None
    looked_at: list[str] = []

    def task(session: AiSession, platform: str, limit: int | None) -> ChatMessage:
        if body.look_at_media and not looked_at:
            # Read once the accounts, the media and the endpoint are known good.
            looked_at.extend(_images_of(access.workspace_id, body.media))
        return ai_prompts.caption_task(
            session.fence, platform, limit, body.brief, guidance=guidance, images=tuple(looked_at)
        )

    return _generate_each(
        access,
        body.targets,
        body.media,
        task,
        model_for="vision" if body.look_at_media else "text",
    )


def _images_of(workspace_id: str, media: Sequence[str]) -> list[str]:
    """The first images (or GIFs) of `media` as data URLs; 422 when it holds none."""
    found = [
        item
        for item in (MediaAssetItem.find(workspace_id, asset_id) for asset_id in media)
        if item is not None and item.kind in LOOKABLE_KINDS
    ][:MAX_IMAGES_LOOKED_AT]
    if not found:
        raise ValidationFailed(
            "look_at_media needs an image among the media.",
            errors=[
                FieldError(
                    pointer="/body/media",
                    detail="Attach an image or a GIF, or leave look_at_media false.",
                    code="no_images",
                )
            ],
        )
    return [_data_url(item) for item in found]


def _data_url(item: MediaAssetItem) -> str:
    try:
        return ai_images.data_url(item)
    except ImageRejected as refusal:
        raise ValidationFailed(
            f"Media {item.asset_id} cannot be shown to the model: {refusal}",
            errors=[FieldError(pointer="/body", detail=str(refusal), code="image_unreadable")],
        ) from None


def translate(access: WorkspaceAccess, body: TranslateRequest) -> Generated:
    """Each target's text in `body.language`, fitted like the other routes.

    From a post, each target's own text (or the shared one) is translated and checked with the
    target's own media; a target without text gets its empty text back, without a model call.
    """
    if body.post_id is None:
        assert body.text is not None  # the request's validator makes sure
        source = body.text
        return _generate_each(
            access,
            body.targets,
            body.media,
            lambda session, platform, limit: ai_prompts.translate_task(
                session.fence, platform, limit, source, body.language
            ),
        )
    content = post_store.content_of(post_store.find_post(access.workspace_id, body.post_id))
    per_target = [preflight.effective(content, spec) for spec in content.targets]
    facts = _facts(
        access.workspace_id,
        content.targets,
        sorted({asset for target in per_target for asset in target.media}),
    )
    session = AiSession.open(access.workspace_id, ai_prompts.system_prompt)
    items = []
    for target in per_target:
        spec = target.spec
        own = replace(facts, media=target.media)
        platform = own.platform(spec.account_id)
        if not target.text.strip():
            empty = Draft(text=target.text)
            items.append(_generated(spec, platform, empty, own.check(spec, empty), 0))
            continue
        task = ai_prompts.translate_task(
            session.fence, platform, own.text_limit(spec), target.text, body.language
        )
        draft, checked, attempts = _fit(session, own, spec, task, _plain_text)
        items.append(_generated(spec, platform, draft, checked, attempts))
    return Generated(items=items, usage=session.usage)


def alt_text(access: WorkspaceAccess, body: AltTextRequest) -> AltTextResult:
    """Alt text for a library image by the vision model, within the platforms' limits."""
    item = MediaAssetItem.find(access.workspace_id, body.asset_id)
    if item is None:
        raise NotFound(f"Media {body.asset_id} was not found.")
    if item.kind not in LOOKABLE_KINDS:
        raise ValidationFailed(
            f"Alt text describes images; media {body.asset_id} is a {item.kind} file.",
            errors=[
                FieldError(
                    pointer="/body/asset_id",
                    detail="Choose an image or a GIF.",
                    code="not_an_image",
                )
            ],
        )
    # One alt text per asset serves every platform: the library's bound caps every limit.
    limit = min(
        LIBRARY_ALT_TEXT_LIMIT,
        body.max_length or LIBRARY_ALT_TEXT_LIMIT,
        *(ALT_TEXT_LIMITS.get(platform, LIBRARY_ALT_TEXT_LIMIT) for platform in body.platforms),
    )
    session = AiSession.open(access.workspace_id, ai_prompts.system_prompt, "vision")
    language = body.language or session.voice.language
    task = ai_prompts.alt_text_task(session.fence, _data_url(item), limit, body.context, language)

    def judge(answer: str) -> str | list[str]:
        text = answer.strip().strip('"')
        failures = [] if text else ["The answer was empty."]
        if len(text) > limit:
            failures.append(f"It has {len(text)} characters; alt text may have at most {limit}.")
        avoided = session.avoided_words_in(text)
        if avoided:
            failures.append(f"It uses words the brand avoids: {', '.join(avoided)}.")
        return failures or text

    text, attempts = _ask_until_fit(session, task, judge, f"media {body.asset_id}")
    if body.save:
        _save_alt_text(access, item, text)
    return AltTextResult(
        asset_id=body.asset_id,
        alt_text=text,
        max_length=limit,
        saved=body.save,
        attempts=attempts,
        usage=session.usage,
    )


def _save_alt_text(access: WorkspaceAccess, item: MediaAssetItem, text: str) -> None:
    with (
        conflict_on_condition_failure("The asset changed meanwhile; read it and try again."),
        transaction() as write,
    ):
        write.update(
            item,
            actions=[MediaAssetItem.alt_text.set(text), MediaAssetItem.updated_at.set(utc_now())],
            condition=MediaAssetItem.pk.exists(),
        )
        write.save(
            activity_entry(
                access.workspace_id,
                actor=access.actor,
                action="media.updated",
                target=f"asset:{item.asset_id}",
                details={"fields": ["alt_text"], "written_by": "ai"},
            )
        )


def rewrite(access: WorkspaceAccess, body: RewriteRequest) -> Generated:
    return _generate_each(
        access,
        body.targets,
        body.media,
        lambda session, platform, limit: ai_prompts.rewrite_task(
            session.fence, platform, limit, body.text, body.tone, body.length
        ),
    )


def shorten(access: WorkspaceAccess, body: ShortenRequest) -> Generated:
    return _generate_each(
        access,
        body.targets,
        body.media,
        lambda session, platform, limit: ai_prompts.shorten_task(
            session.fence, platform, limit, body.text
        ),
        unchanged=body.text,
    )


def hashtags(access: WorkspaceAccess, body: HashtagsRequest) -> Generated:
    def with_hashtags(_spec: TargetSpec) -> Shaper:
        def shape(answer: str) -> Draft | str:
            found = list(dict.fromkeys(_HASHTAG.findall(answer)))[: body.count]
            if not found:
                return "The answer held no hashtags (words starting with #)."
            return Draft(text=f"{body.text}\n\n{' '.join(found)}", hashtags=tuple(found))

        return shape

    return _generate_each(
        access,
        body.targets,
        body.media,
        lambda session, platform, _limit: ai_prompts.hashtags_task(
            session.fence, platform, body.count, body.text
        ),
        with_hashtags,
    )


def _thread_parts(answer: str) -> Draft | str:
    parts = [part.strip() for part in _THREAD_SEPARATOR.split(answer) if part.strip()]
    if not parts:
        return "The answer was empty."
    if len(parts) > MAX_THREAD_POSTS:
        return f"The thread has {len(parts)} posts; make it at most {MAX_THREAD_POSTS}."
    if any(len(part) > MAX_TEXT for part in parts):
        return "A post of the thread is far too long."
    return Draft(text=parts[0], replies=tuple(parts[1:]))


def thread(access: WorkspaceAccess, body: ThreadRequest) -> GeneratedThread:
    spec = TargetSpec(account_id=body.account_id)
    facts = _facts(access.workspace_id, [spec], [])
    platform = facts.platform(spec.account_id)
    info = platform_info(platform)
    if info is None or not info.threads:
        raise ValidationFailed(
            f"{preflight.platform_name(platform)} posts cannot continue as a thread; choose an "
            "X or Threads account.",
            errors=[
                FieldError(
                    pointer="/body/account_id",
                    detail="Choose an account whose platform publishes threads.",
                    code="thread_unsupported",
                )
            ],
        )
    session = AiSession.open(access.workspace_id, ai_prompts.system_prompt)
    task = ai_prompts.thread_task(session.fence, platform, facts.text_limit(spec), body.text)
    draft, checked, attempts = _fit(session, facts, spec, task, _thread_parts)
    return GeneratedThread(
        account_id=spec.account_id,
        platform=platform,
        parts=[draft.text, *draft.replies],
        preflight=checked,
        attempts=attempts,
        usage=session.usage,
    )
