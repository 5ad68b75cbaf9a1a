"""The AI composer: captions, rewrites, shortening, hashtags and threads that pass preflight.

Each text the model writes for a target is checked by the same preflight as a post
(`preflight.check_target`) and against the brand voice's words to avoid. A text that fails is
sent back to the model with what failed, at most `MAX_ATTEMPTS` times in all; if no attempt
passes, the request fails (502, `urn:herald:problem:ai-unfit`) rather than hand back a text
Herald itself would refuse. Problems text cannot fix (an account to reconnect, media missing)
are not retried: they come back in the target's preflight result.

Every call is charged to the workspace's monthly budget before it is made (`ai_usage`).
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from functions.publish.domain import ai_prompts, post_store, posts, preflight
from functions.publish.domain.ai_models import (
    AiTarget,
    CaptionsRequest,
    Generated,
    GeneratedText,
    GeneratedThread,
    HashtagsRequest,
    RewriteRequest,
    ShortenRequest,
    ThreadRequest,
)
from functions.publish.domain.brand_voice import brand_voice_of
from functions.publish.domain.platforms import platform_info
from functions.publish.domain.post_models import (
    MAX_TEXT,
    TargetPreflight,
    TargetSpec,
    ThreadPart,
)
from functions.shared import ai_endpoint, ai_usage
from functions.shared.access import WorkspaceAccess
from functions.shared.ai_setup import (
    ChatMessage,
    Completion,
    Endpoint,
    GeneratedTextUnfit,
    endpoint_for,
)
from functions.shared.problems import FieldError, NotFound, ValidationFailed

MAX_ATTEMPTS = 3
MAX_THREAD_POSTS = 25
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


@dataclass
class _Session:
    """One request's model calls: the endpoint, the prompt's fence and voice, what was spent."""

    access: WorkspaceAccess
    endpoint: Endpoint
    fence: ai_prompts.Fence
    system: ChatMessage
    avoid: list[str]
    completions: list[Completion] = field(default_factory=list)

    @classmethod
    def open(cls, access: WorkspaceAccess) -> "_Session":
        endpoint = endpoint_for("text")
        voice = brand_voice_of(access.workspace_id)
        fence = ai_prompts.Fence.new()
        return cls(access, endpoint, fence, ai_prompts.system_prompt(fence, voice), voice.avoid)

    def ask(self, messages: list[ChatMessage]) -> str:
        ai_usage.reserve_call(self.access.workspace_id)
        completion = ai_endpoint.complete(self.endpoint, messages)
        ai_usage.record(self.access.workspace_id, completion)
        self.completions.append(completion)
        return completion.text.strip()

    def avoided_words_in(self, text: str) -> list[str]:
        return [
            word
            for word in self.avoid
            if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE)
        ]


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


def _failures(session: _Session, draft: Draft, checked: TargetPreflight) -> list[str]:
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


def _fit(
    session: _Session, facts: _Facts, spec: TargetSpec, task: ChatMessage, shape: Shaper
) -> tuple[Draft, TargetPreflight, int]:
    """Ask until a draft passes the checks: (draft, its preflight, attempts), or 502."""
    messages = [session.system, task]
    failures: list[str] = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        answer = session.ask(messages)
        shaped = shape(answer)
        if isinstance(shaped, str):
            failures = [shaped]
        else:
            checked = facts.check(spec, shaped)
            failures = _failures(session, shaped, checked)
            if not failures:
                return shaped, checked, attempt
        messages = [*messages, ChatMessage("assistant", answer), ai_prompts.correction(failures)]
    raise GeneratedTextUnfit(
        f"After {MAX_ATTEMPTS} attempts the model's text for account {spec.account_id} "
        f"({facts.platform(spec.account_id)}) still fails Herald's checks: {' '.join(failures)} "
        "Nothing was returned; try a shorter brief or text."
    )


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
    task_for: Callable[[_Session, str, int | None], ChatMessage],
    shaper_for: Callable[[TargetSpec], Shaper] = lambda _spec: _plain_text,
    unchanged: str | None = None,
) -> Generated:
    """One fitted text per target; `unchanged` is returned as is where it already fits."""
    specs = _specs(targets)
    facts = _facts(access.workspace_id, specs, media)
    session = _Session.open(access)
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
    return Generated(items=items, usage=ai_usage.usage_of(session.completions))


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
    return _generate_each(
        access,
        body.targets,
        body.media,
        lambda session, platform, limit: ai_prompts.caption_task(
            session.fence, platform, limit, body.brief
        ),
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
    session = _Session.open(access)
    task = ai_prompts.thread_task(session.fence, platform, facts.text_limit(spec), body.text)
    draft, checked, attempts = _fit(session, facts, spec, task, _thread_parts)
    return GeneratedThread(
        account_id=spec.account_id,
        platform=platform,
        parts=[draft.text, *draft.replies],
        preflight=checked,
        attempts=attempts,
        usage=ai_usage.usage_of(session.completions),
    )
