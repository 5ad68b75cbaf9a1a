"""How long a reply each platform takes, counted as the platform counts it.

A reply on X or Threads is a post, so a post's rule applies (X: 280 weighted characters by
twitter-text v3, `shared/text_length.py`; Threads: 500 characters). The others are comments:
YouTube takes 10,000 characters and LinkedIn 1,250; Meta's APIs document no comment limit, so
Herald keeps Instagram replies within its caption limit (2,200) and Facebook's within 8,000, what
Facebook's own comment box takes. TikTok's connection cannot reply at all (docs/inbox.md, "What
each platform allows").
"""

from dataclasses import dataclass

from functions.shared.text_length import count_code_points, x_weighted_length

REPLY_LIMITS: dict[str, int] = {
    "x": 280,
    "threads": 500,
    "instagram": 2200,
    "facebook": 8000,
    "youtube": 10_000,
    "linkedin": 1250,
    "sandbox": 2200,
}


@dataclass(frozen=True, slots=True)
class ReplyLength:
    length: int
    limit: int
    problem: str | None  # why the platform would refuse it, in words the model is told


def reply_limit(platform: str) -> int | None:
    """The platform's reply limit; None where Herald cannot reply at all."""
    return REPLY_LIMITS.get(platform)


def measure(platform: str, limit: int, text: str) -> ReplyLength:
    if not text.strip():
        return ReplyLength(length=0, limit=limit, problem="The reply is empty.")
    if platform == "x":
        counted = x_weighted_length(text)
        problem = None
        if not counted.valid:
            problem = (
                f"X counts this reply as {counted.weighted_length} of {limit} (URLs count 23, "
                "most emoji and CJK characters 2)."
                if counted.weighted_length > limit
                else "X refuses this text (twitter-text finds it invalid)."
            )
        return ReplyLength(length=counted.weighted_length, limit=limit, problem=problem)
    length = count_code_points(text)
    problem = (
        f"The reply is {length} characters; the platform takes at most {limit}."
        if length > limit
        else None
    )
    return ReplyLength(length=length, limit=limit, problem=problem)
