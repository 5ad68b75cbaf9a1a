"""How long a post's text is, as each platform counts it.

X counts a weighted length, exactly as twitter-text v3 does (https://github.com/twitter/twitter-text,
Apache License 2.0; its conformance suite is the test). After NFC normalisation each code point
weighs 100 or 200 (the config's ranges make Latin to Georgian and some general punctuation light,
everything else heavy), every URL weighs `transformedURLLength` whatever its length, since X
wraps it in a t.co link, and an emoji sequence weighs 200 however many code points it joins. A
text is valid while that total, over `scale`, is within `maxWeightedTweetLength` and it holds no
invalid character (U+FFFE, U+FEFF, U+FFFF).

Emoji sequences come from current Unicode data (the `emoji` package) rather than twitter-text's
regex, frozen at Unicode 12, so newer sequences count 200 too. The ranges of an empty text are
empty: (0, -1).

Ranges are inclusive offsets in UTF-16 code units into the text as given, as twitter-text
reports them: the indices of a JavaScript string, so the dashboard can mark the overflow as is.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from emoji import EMOJI_DATA

_HERE = Path(__file__).parent


@dataclass(frozen=True, slots=True)
class TextConfig:
    """A twitter-text configuration (config/v*.json upstream)."""

    max_weighted_length: int
    scale: int
    default_weight: int
    transformed_url_length: int
    emoji_parsing_enabled: bool
    ranges: tuple[tuple[int, int, int], ...]  # (first code point, last code point, weight)

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> TextConfig:
        return cls(
            max_weighted_length=raw["maxWeightedTweetLength"],
            scale=raw["scale"],
            default_weight=raw["defaultWeight"],
            transformed_url_length=raw["transformedURLLength"],
            emoji_parsing_enabled=raw.get("emojiParsingEnabled", False),
            ranges=tuple((r["start"], r["end"], r["weight"]) for r in raw["ranges"]),
        )

    def weight_of(self, code_point: int) -> int:
        for first, last, weight in self.ranges:
            if first <= code_point <= last:
                return weight
        return self.default_weight


X_TEXT_CONFIG = TextConfig.from_json(
    json.loads((_HERE / "twitter_text_config_v3.json").read_text(encoding="utf-8"))
)


@dataclass(frozen=True, slots=True)
class WeightedLength:
    weighted_length: int
    valid: bool
    permillage: int
    display_range: tuple[int, int]
    valid_range: tuple[int, int]


def x_weighted_length(text: str) -> WeightedLength:
    return weighted_length(text, X_TEXT_CONFIG)


def count_code_points(text: str) -> int:
    """The length of `text` for platforms that count characters: NFC code points."""
    return len(unicodedata.normalize("NFC", text))


def weighted_length(text: str, config: TextConfig) -> WeightedLength:
    normalized = unicodedata.normalize("NFC", text)
    invalid_at = min(
        (found for found in map(normalized.find, _INVALID_CHARACTERS) if found >= 0),
        default=len(normalized),
    )
    scaled_limit = config.max_weighted_length * config.scale
    total = 0
    valid_end = 0  # the longest prefix within the limit and before any invalid character
    for end, weight in _weighted_pieces(normalized, config):
        total += weight
        if total <= scaled_limit and end <= invalid_at:
            valid_end = end

    weighted = total // config.scale
    # Like twitter-text, map back to the text as given by the difference normalisation made.
    normalization_shift = _utf16_length(text) - _utf16_length(normalized)
    return WeightedLength(
        weighted_length=weighted,
        valid=invalid_at == len(normalized) and 0 < weighted <= config.max_weighted_length,
        permillage=weighted * 1000 // config.max_weighted_length,
        display_range=(0, _utf16_length(text) - 1),
        valid_range=(0, _utf16_length(normalized[:valid_end]) + normalization_shift - 1),
    )


def _weighted_pieces(text: str, config: TextConfig) -> Iterator[tuple[int, int]]:
    """Where each URL, emoji sequence or other code point of `text` ends, with its weight."""
    urls = _url_spans(text)
    char_weights: dict[str, int] = {}
    position = 0
    while position < len(text):
        char = text[position]
        if (end := urls.get(position)) is not None:
            weight = config.transformed_url_length * config.scale
        elif (
            config.emoji_parsing_enabled
            and char in _EMOJI_FIRST_CODE_POINTS
            and (end := _emoji_end(text, position)) is not None
        ):
            weight = config.default_weight
        else:
            end = position + 1
            weight = char_weights.get(char, -1)
            if weight < 0:
                weight = char_weights[char] = config.weight_of(ord(char))
        yield end, weight
        position = end


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


# --- Emoji ------------------------------------------------------------------------------------
# A lone code point is weighed by the ranges, which gives the 200 of an emoji to every emoji code
# point except © and ®; twitter-text counts those as emoji only when U+FE0F follows, and then
# they are sequences of two.
_EMOJI_SEQUENCES = frozenset(key for key in EMOJI_DATA if len(key) > 1)
_EMOJI_FIRST_CODE_POINTS = frozenset(sequence[0] for sequence in _EMOJI_SEQUENCES)
_LONGEST_EMOJI = max(map(len, _EMOJI_SEQUENCES))


def _emoji_end(text: str, start: int) -> int | None:
    """The end of the longest emoji sequence of two or more code points at `start`, if any."""
    for end in range(min(len(text), start + _LONGEST_EMOJI), start + 1, -1):
        if text[start:end] in _EMOJI_SEQUENCES:
            return end
    return None


# --- URLs, as twitter-text's extractUrlsWithIndices finds them -------------------------------
_MAX_URL_LENGTH = 4096
_MAX_TCO_SLUG_LENGTH = 40
_MAX_DOMAIN_LABEL_LENGTH = 63

_INVALID = "\ufffe\ufeff\uffff"
_INVALID_CHARACTERS = frozenset(_INVALID)
_DIRECTIONAL_MARKS = "\u202a-\u202e\u061c\u200e\u200f\u2066-\u2069"
_SPACES = "\t-\r \x85\xa0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_PUNCTUATION = r"!'#%&()*+,\\\-./:;<=>?@\[\]^_{|}~$"
_CYRILLIC = "\u0400-\u04ff"
_LATIN_ACCENTS = (
    "\xc0-\xd6\xd8-\xf6\xf8-\xff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b\u0263"
    "\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
)


def _tld_alternation() -> str:
    """The TLDs as one regex alternation, grouped by first character so that a mismatch costs a
    test per group rather than per TLD; a group keeps the file's order, which decides between
    TLDs where one begins the other."""
    lines = (_HERE / "twitter_text_tlds.txt").read_text(encoding="utf-8").splitlines()
    groups: dict[str, list[str]] = {}
    for tld in (line for line in lines if line and not line.startswith("#")):
        groups.setdefault(tld[0], []).append(re.escape(tld[1:]))
    return "|".join(f"{re.escape(first)}(?:{'|'.join(rests)})" for first, rests in groups.items())


_TLD = rf"(?:(?i:{_tld_alternation()})(?=[^0-9a-zA-Z@+-]|\Z)|(?i:xn--[-0-9a-z]+))"
_DOMAIN_CHAR = f"[^{_PUNCTUATION}{_SPACES}{_INVALID}{_DIRECTIONAL_MARKS}]"
_SUBDOMAIN = rf"(?:(?:{_DOMAIN_CHAR}(?:[_-]|{_DOMAIN_CHAR})*)?{_DOMAIN_CHAR}\.)"
_DOMAIN_NAME = rf"(?:(?:{_DOMAIN_CHAR}(?:-|{_DOMAIN_CHAR})*)?{_DOMAIN_CHAR}\.)"
_PATH_CHAR = rf"[a-zA-Z{_CYRILLIC}0-9!*';:=+,.$/%#\[\]\-\u2013_~&|@{_LATIN_ACCENTS}]"
_BALANCED_PARENS = rf"\((?:{_PATH_CHAR}+|{_PATH_CHAR}*\({_PATH_CHAR}+\){_PATH_CHAR}*)\)"
_PATH_END = rf"(?:[+\-a-zA-Z{_CYRILLIC}0-9=_#/{_LATIN_ACCENTS}]|{_BALANCED_PARENS})"
_PATH_SEGMENT = rf"(?:{_PATH_CHAR}*(?:{_BALANCED_PARENS}{_PATH_CHAR}*)*{_PATH_END}|@{_PATH_CHAR}+/)"
_QUERY = r"\?[a-zA-Z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]*[a-zA-Z0-9\-_&=#/]"

_URL = re.compile(
    rf"(?P<before>[^A-Za-z0-9@＠$#＃{_INVALID}]|^)"
    rf"(?P<url>(?P<protocol>(?i:https?://))?(?P<domain>{_SUBDOMAIN}*{_DOMAIN_NAME}{_TLD})"
    rf"(?::[0-9]+)?(?P<path>/{_PATH_SEGMENT}*)?(?:{_QUERY})?)"
)
_ASCII_DOMAIN = re.compile(rf"(?:[\-a-zA-Z0-9{_LATIN_ACCENTS}]+\.)+{_TLD}")
_TCO_URL = re.compile(rf"(?i:https?://t\.co/)(?P<slug>[a-zA-Z0-9]+)(?:{_QUERY})?")
_IDEOGRAPHIC_DOTS = re.compile("[\u3002\uff0e\uff61]")
_NON_ASCII = re.compile("[^\x00-\x7e]")


def _url_spans(text: str) -> dict[int, int]:
    """Where each URL that X would shorten starts and ends, in code points."""
    spans: dict[int, int] = {}
    if "." not in text:
        return spans
    for match in _URL.finditer(text):
        start, end = match.span("url")
        protocol = match["protocol"]
        if not _is_valid_host(match["domain"]) or (
            len(protocol or "https://") + _utf16_length(match["url"]) > _MAX_URL_LENGTH
        ):
            continue
        if protocol:
            tco = _TCO_URL.match(match["url"])
            if tco is not None:
                if len(tco["slug"]) > _MAX_TCO_SLUG_LENGTH:
                    continue
                end = start + tco.end()  # a t.co link takes no path after its slug
            spans[start] = end
        elif not match["before"].endswith(("-", "_", ".", "/")):
            spans.update(_bare_domain_spans(match))
    return spans


def _bare_domain_spans(match: re.Match[str]) -> dict[int, int]:
    """A URL without protocol counts only through its ASCII domains; the last takes the path."""
    offset = match.start("domain")
    spans = {
        offset + found.start(): offset + found.end()
        for found in _ASCII_DOMAIN.finditer(match["domain"])
    }
    if spans and match["path"]:
        spans[max(spans)] = match.end("url")
    return spans


def _is_valid_host(domain: str) -> bool:
    """twitter-text's light IDNA check: every label fits DNS's 63 characters once punycoded."""
    if domain.startswith("xn--") and _ASCII_DOMAIN.search(domain) is None:
        return False
    return all(
        # Punycode never shortens a label, and encoding a long one costs quadratic time.
        0 < len(label) <= _MAX_DOMAIN_LABEL_LENGTH
        and len(_punycoded(label)) <= _MAX_DOMAIN_LABEL_LENGTH
        for label in domain.split(".")
    )


@lru_cache(maxsize=1024)  # Python's punycode is slow on long labels; drafts repeat their URLs
def _punycoded(label: str) -> str:
    """A label as punycode.js's toASCII, which twitter-text uses, writes it."""
    return ".".join(
        "xn--" + part.encode("punycode").decode("ascii") if _NON_ASCII.search(part) else part
        for part in _IDEOGRAPHIC_DOTS.split(label)
    )
