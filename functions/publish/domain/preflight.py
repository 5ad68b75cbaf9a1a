"""Preflight: every reason a post would fail at a platform, found before anything is sent.

Checks are pure: they take the post's content and what Herald knows about its accounts and media
(the library's probed metadata) and list each problem per target with a machine-readable code, a
message a person understands and, where one exists, a fix. The rules come from the same catalogue
(`platforms.py`) that `GET /v1/accounts/platforms` shows, so the dashboard and preflight agree.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from functions.publish.domain.platform_options import missing_to_publish, option_errors
from functions.publish.domain.platforms import ContentType, MediaLimits, platform_info
from functions.publish.domain.post_models import (
    Fix,
    PostContent,
    Preflight,
    Problem,
    TargetPreflight,
    TargetSpec,
    ThreadPart,
)
from functions.shared import platform_formats, tracked_links
from functions.shared.text_length import count_code_points, x_weighted_length

QUOTA_WINDOW = timedelta(hours=24)
# Instagram: https://developers.facebook.com/docs/instagram-platform/content-publishing
INSTAGRAM_MAX_HASHTAGS = 30
INSTAGRAM_MAX_MENTIONS = 20
_HASHTAG = re.compile(r"(?<![\w#])#\w+")
_MENTION = re.compile(r"(?<![\w@])@[\w.]+")
ASPECT_TOLERANCE = 0.01


@dataclass(frozen=True, slots=True)
class AccountFacts:
    account_id: str
    platform: str
    status: str
    name: str


@dataclass(frozen=True, slots=True)
class AssetFacts:
    asset_id: str
    kind: str
    content_type: str
    size_bytes: int
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None
    frame_rate: float | None = None
    video_codec: str | None = None
    audio_codec: str | None = None


@dataclass(frozen=True, slots=True)
class EffectiveTarget:
    """A target with the shared content filled in where it has no override."""

    spec: TargetSpec
    text: str
    media: list[str]


def effective(content: PostContent, target: TargetSpec) -> EffectiveTarget:
    return EffectiveTarget(
        spec=target,
        text=content.text if target.text is None else target.text,
        media=list(content.media if target.media is None else target.media),
    )


# --- platform options --------------------------------------------------------------------------


def _option_problems(platform: str, options: Mapping[str, Any]) -> list[Problem]:
    missing = [
        Problem(
            code="invalid_option",
            message=f"{name}: {platform_name(platform)} needs it to publish",
            field=f"options/{name}",
        )
        for name in missing_to_publish(platform, options)
    ]
    return missing + [
        Problem(
            code="invalid_option",
            message=f"{'.'.join(str(part) for part in error['loc']) or 'options'}: {error['msg']}",
            field="options/" + "/".join(str(part) for part in error["loc"]),
        )
        for error in option_errors(platform, options)
    ]


# --- content types and text ----------------------------------------------------------------------


def content_type_name(platform: str, options: Mapping[str, Any], kinds: Sequence[str]) -> str:
    """Which of the platform's content types the target would be published as."""
    videos = "video" in kinds
    if platform == "instagram":
        requested = str(options.get("type", "feed"))
        if requested in ("reel", "story"):
            return requested
        return "carousel" if len(kinds) > 1 or requested == "carousel" else "image"
    if platform == "facebook":
        chosen = options.get("type")
        return str(chosen) if chosen else ("video" if videos else "post")
    if platform == "tiktok":
        return "video" if videos or not kinds else "photo"
    if platform == "youtube":
        return "video"
    return "post"


def as_published(text: str, link_length: int | None) -> str:
    """The text as the platform receives it when its links go out as short links of
    `link_length` characters (None: as they are)."""
    if link_length is None:
        return text
    return tracked_links.replace_links(
        text, {text[start:end]: "x" * link_length for start, end in tracked_links.links_in(text)}
    )


def text_problems(
    platform: str,
    content_type: ContentType,
    text: str,
    where: str = "text",
    link_length: int | None = None,
) -> list[Problem]:
    problems: list[Problem] = []
    limit = content_type.max_text_length
    if platform == "x":
        # X weighs every URL as 23 whatever its length, a short link as much as the original.
        counted = x_weighted_length(text)
        if not counted.valid and counted.weighted_length > 280:
            problems.append(
                Problem(
                    code="text_too_long",
                    message=f"X counts this text as {counted.weighted_length} of 280 "
                    "(URLs count 23, most emoji and CJK characters 2).",
                    field=where,
                    fix=Fix(description="Shorten the text or continue it in a thread part."),
                )
            )
        elif not counted.valid and text.strip():
            problems.append(
                Problem(code="text_invalid", message="X would refuse this text.", field=where)
            )
        return problems
    if limit is not None:
        length = count_code_points(as_published(text, link_length))
        if length > limit:
            problems.append(
                Problem(
                    code="text_too_long",
                    message=f"The text is {length} characters; {platform_name(platform)} "
                    f"takes at most {limit} here.",
                    field=where,
                    fix=Fix(description=f"Shorten it by {length - limit} characters."),
                )
            )
    if platform == "instagram":
        hashtags, mentions = len(_HASHTAG.findall(text)), len(_MENTION.findall(text))
        if hashtags > INSTAGRAM_MAX_HASHTAGS:
            problems.append(
                Problem(
                    code="too_many_hashtags",
                    message=f"{hashtags} hashtags; Instagram allows {INSTAGRAM_MAX_HASHTAGS}.",
                    field=where,
                )
            )
        if mentions > INSTAGRAM_MAX_MENTIONS:
            problems.append(
                Problem(
                    code="too_many_mentions",
                    message=f"{mentions} mentions; Instagram allows {INSTAGRAM_MAX_MENTIONS}.",
                    field=where,
                )
            )
    return problems


def platform_name(platform: str) -> str:
    info = platform_info(platform)
    return info.name if info is not None else platform


# --- media ---------------------------------------------------------------------------------------


def _limits_for(content_type: ContentType, kinds: Sequence[str]) -> MediaLimits | None:
    """The first media mix of the content type that admits every kind present."""
    for limits in content_type.media:
        if all(kind in limits.types for kind in kinds):
            return limits
    return None


def _fix_for(platform: str, content_type: str, kind: str) -> Fix | None:
    # The media studio makes a copy in the shared catalogue's format for the content type.
    preset = platform_formats.fix_for(platform, content_type, kind)
    if preset is None:
        return None
    return Fix(
        description=f"Make a copy with the media studio's `{preset}` preset.", media_preset=preset
    )


def media_problems(
    platform: str,
    content_type: ContentType,
    media_ids: Sequence[str],
    assets: Mapping[str, AssetFacts],
    where: str = "media",
) -> list[Problem]:
    problems: list[Problem] = []
    present = [assets[asset_id] for asset_id in media_ids if asset_id in assets]
    for index, asset_id in enumerate(media_ids):
        if asset_id not in assets:
            problems.append(
                Problem(
                    code="media_not_found",
                    message=f"Media {asset_id} is not in this workspace's library.",
                    field=f"{where}/{index}",
                )
            )
    kinds = [asset.kind for asset in present]
    name = platform_name(platform)
    if not content_type.media:
        if media_ids:
            problems.append(
                Problem(
                    code="media_not_allowed",
                    message=f"A {name} {content_type.name} takes no media.",
                    field=where,
                )
            )
        return problems
    limits = _limits_for(content_type, kinds)
    if limits is None:
        allowed = " or ".join("/".join(entry.types) for entry in content_type.media)
        problems.append(
            Problem(
                code="media_mix",
                message=f"A {name} {content_type.name} cannot mix {', '.join(sorted(set(kinds)))};"
                f" it takes {allowed}.",
                field=where,
            )
        )
        return problems
    if len(media_ids) < limits.min_count:
        problems.append(
            Problem(
                code="media_required" if not media_ids else "too_few_media",
                message=f"A {name} {content_type.name} needs at least {limits.min_count} "
                f"media file{'s' if limits.min_count > 1 else ''}.",
                field=where,
            )
        )
    if len(media_ids) > limits.max_count:
        problems.append(
            Problem(
                code="too_many_media",
                message=f"A {name} {content_type.name} takes at most {limits.max_count} media "
                f"files; this has {len(media_ids)}.",
                field=where,
            )
        )
    for index, asset_id in enumerate(media_ids):
        asset = assets.get(asset_id)
        if asset is not None:
            problems.extend(
                _asset_problems(platform, content_type.name, limits, asset, f"{where}/{index}")
            )
    return problems


def _asset_problems(
    platform: str, content_type: str, limits: MediaLimits, asset: AssetFacts, where: str
) -> list[Problem]:
    name = platform_name(platform)
    fix = _fix_for(platform, content_type, asset.kind)
    problems: list[Problem] = []

    def problem(code: str, message: str, fixable: bool = False) -> None:
        problems.append(
            Problem(code=code, message=message, field=where, fix=fix if fixable else None)
        )

    if asset.content_type not in limits.formats:
        problem(
            "media_format",
            f"{name} does not take {asset.content_type} here; it takes "
            f"{', '.join(limits.formats)}.",
        )
    if asset.size_bytes > limits.max_bytes:
        problem(
            "media_too_large",
            f"The file is {_megabytes(asset.size_bytes)}; {name} takes at most "
            f"{_megabytes(limits.max_bytes)}.",
            fixable=asset.kind == "video",
        )
    if asset.duration_seconds is not None:
        if limits.max_duration_seconds and asset.duration_seconds > limits.max_duration_seconds:
            problem(
                "media_too_long",
                f"The video lasts {asset.duration_seconds:.1f} s; {name} takes at most "
                f"{limits.max_duration_seconds:g} s.",
            )
        if limits.min_duration_seconds and asset.duration_seconds < limits.min_duration_seconds:
            problem(
                "media_too_short",
                f"The video lasts {asset.duration_seconds:.1f} s; {name} needs at least "
                f"{limits.min_duration_seconds:g} s.",
            )
    if asset.width and asset.height:
        ratio = asset.width / asset.height
        low, high = limits.min_aspect_ratio, limits.max_aspect_ratio
        if (low is not None and ratio < low - ASPECT_TOLERANCE) or (
            high is not None and ratio > high + ASPECT_TOLERANCE
        ):
            problem(
                "media_aspect_ratio",
                f"The {asset.kind} is {asset.width}x{asset.height} (ratio {ratio:.2f}); {name} "
                f"takes ratios {_ratio_range(low, high)}.",
                fixable=True,
            )
        if (limits.max_width and asset.width > limits.max_width) or (
            limits.max_height and asset.height > limits.max_height
        ):
            problem(
                "media_dimensions",
                f"The {asset.kind} is {asset.width}x{asset.height}; {name} takes at most "
                f"{limits.max_width or 'any'}x{limits.max_height or 'any'}.",
                fixable=True,
            )
    if asset.kind == "video":
        if (
            limits.video_codecs
            and asset.video_codec
            and asset.video_codec not in limits.video_codecs
        ):
            problem(
                "media_codec",
                f"The video is encoded as {asset.video_codec}; {name} takes "
                f"{', '.join(limits.video_codecs)}.",
                fixable=True,
            )
        if (
            limits.audio_codecs
            and asset.audio_codec
            and asset.audio_codec not in limits.audio_codecs
        ):
            problem(
                "media_audio_codec",
                f"The audio is {asset.audio_codec}; {name} takes {', '.join(limits.audio_codecs)}.",
                fixable=True,
            )
        if asset.frame_rate is not None:
            if limits.max_frame_rate and asset.frame_rate > limits.max_frame_rate + 0.01:
                problem(
                    "media_frame_rate",
                    f"The video runs at {asset.frame_rate:g} fps; {name} takes at most "
                    f"{limits.max_frame_rate:g}.",
                    fixable=True,
                )
            if limits.min_frame_rate and asset.frame_rate < limits.min_frame_rate - 0.01:
                problem(
                    "media_frame_rate",
                    f"The video runs at {asset.frame_rate:g} fps; {name} needs at least "
                    f"{limits.min_frame_rate:g}.",
                    fixable=True,
                )
    return problems


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _ratio_range(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"{low:.2f}" if abs(low - high) < 1e-9 else f"from {low:.2f} to {high:.2f}"
    return f"at least {low:.2f}" if low is not None else f"at most {high:.2f}"


# --- the whole post ------------------------------------------------------------------------------


def check(
    content: PostContent,
    accounts: Mapping[str, AccountFacts],
    assets: Mapping[str, AssetFacts],
    link_length: int | None = None,
) -> Preflight:
    """`link_length`: with tracked links on, the length of the short link each link becomes."""
    post_problems: list[Problem] = []
    if not content.targets:
        post_problems.append(
            Problem(
                code="no_targets",
                message="Choose at least one social account to publish to.",
                field="targets",
            )
        )
    targets = [
        check_target(effective(content, spec), accounts, assets, link_length)
        for spec in content.targets
    ]
    ok = not post_problems and all(not target.problems for target in targets)
    return Preflight(ok=ok, problems=post_problems, targets=targets)


def check_target(
    target: EffectiveTarget,
    accounts: Mapping[str, AccountFacts],
    assets: Mapping[str, AssetFacts],
    link_length: int | None = None,
) -> TargetPreflight:
    spec = target.spec
    account = accounts.get(spec.account_id)
    if account is None:
        return TargetPreflight(
            account_id=spec.account_id,
            platform=None,
            content_type=None,
            problems=[
                Problem(
                    code="account_not_found",
                    message=f"Account {spec.account_id} is not connected to this workspace.",
                    field="account_id",
                )
            ],
        )
    info = platform_info(account.platform)
    assert info is not None
    problems: list[Problem] = []
    if account.status != "active":
        problems.append(
            Problem(
                code="account_needs_reconnect",
                message=f"{account.name} on {info.name} must be reconnected before it can publish.",
                field="account_id",
                fix=Fix(description="Reconnect the account from the accounts page."),
            )
        )
    problems.extend(_option_problems(account.platform, spec.options))
    kinds = [assets[asset_id].kind for asset_id in target.media if asset_id in assets]
    type_name = content_type_name(account.platform, spec.options, kinds)
    content_type = next((c for c in info.content_types if c.name == type_name), None)
    if content_type is None:
        problems.append(
            Problem(
                code="content_type",
                message=f"{info.name} has no `{type_name}` posts.",
                field="options/type",
            )
        )
        return TargetPreflight(
            account_id=spec.account_id,
            platform=account.platform,
            content_type=None,
            problems=problems,
        )
    if not target.text.strip() and not target.media:
        problems.append(
            Problem(code="empty", message="The post has neither text nor media.", field="text")
        )
    problems.extend(text_problems(account.platform, content_type, target.text, "text", link_length))
    problems.extend(media_problems(account.platform, content_type, target.media, assets))
    problems.extend(
        _thread_problems(
            account.platform, info.threads, content_type, spec.thread, assets, link_length
        )
    )
    if spec.first_comment is not None:
        if not info.first_comment:
            problems.append(
                Problem(
                    code="first_comment_unsupported",
                    message=f"{info.name} does not let apps add a first comment.",
                    field="first_comment",
                )
            )
        else:
            problems.extend(
                text_problems(account.platform, content_type, spec.first_comment, "first_comment")
            )
    return TargetPreflight(
        account_id=spec.account_id,
        platform=account.platform,
        content_type=content_type.name,
        problems=problems,
    )


def _thread_problems(
    platform: str,
    supports_threads: bool,
    content_type: ContentType,
    parts: Sequence[ThreadPart],
    assets: Mapping[str, AssetFacts],
    link_length: int | None,
) -> list[Problem]:
    if not parts:
        return []
    if not supports_threads:
        return [
            Problem(
                code="thread_unsupported",
                message=f"{platform_name(platform)} posts cannot continue as a thread.",
                field="thread",
            )
        ]
    problems: list[Problem] = []
    for index, part in enumerate(parts):
        where = f"thread/{index}"
        if not part.text.strip() and not part.media:
            problems.append(
                Problem(code="empty", message="A thread part needs text or media.", field=where)
            )
        problems.extend(
            text_problems(platform, content_type, part.text, f"{where}/text", link_length)
        )
        problems.extend(
            media_problems(platform, content_type, part.media, assets, f"{where}/media")
        )
    return problems


# --- quotas --------------------------------------------------------------------------------------


def quota_problems(
    accounts: Iterable[AccountFacts],
    at: datetime,
    scheduled: Mapping[str, Sequence[datetime]],
) -> list[TargetPreflight]:
    """Accounts whose platform limit per 24 hours this post would exceed.

    `scheduled` holds, per account, the times of the workspace's other posts to it within a day
    of `at`. Every 24-hour window that contains `at` is tried, so a burst on either side counts.
    """
    found = []
    for account in accounts:
        info = platform_info(account.platform)
        limit = info.daily_post_limit if info is not None else None
        if limit is None:
            continue
        times = sorted(scheduled.get(account.account_id, ()))
        busiest = max(
            (
                1 + sum(1 for moment in times if start <= moment < start + QUOTA_WINDOW)
                # The busiest window holding `at` starts at `at` or at one of the other posts.
                for start in [at, *times]
                if start <= at < start + QUOTA_WINDOW
            ),
            default=1,
        )
        if busiest > limit:
            assert info is not None
            found.append(
                TargetPreflight(
                    account_id=account.account_id,
                    platform=account.platform,
                    content_type=None,
                    problems=[
                        Problem(
                            code="quota_exceeded",
                            message=f"{account.name} would publish {busiest} posts within 24 "
                            f"hours; {info.name} allows {limit}.",
                            fix=Fix(description="Move this post or another one later."),
                        )
                    ],
                )
            )
    return found
