"""How long a post's text is, as each platform counts it.

X counts a weighted length, as twitter-text v3 counts it (https://github.com/twitter/twitter-text,
Apache License 2.0): its JavaScript `parseTweet` and URL extractor are followed here rule for
rule, and its conformance suite is the test. After NFC normalisation each code point weighs 100
or 200 (the config's ranges make Latin to Georgian and some general punctuation light, everything
else heavy), every URL weighs `transformedURLLength` whatever its length, since X wraps it in a
t.co link, and an emoji sequence weighs 200 however many code points it joins. A text is valid
while that total, over `scale`, is within `maxWeightedTweetLength` and it holds no invalid
character (U+FFFE, U+FEFF, U+FFFF).

One deliberate difference: emoji sequences come from current Unicode data (the `emoji` package)
rather than the parser twitter-text bundles, frozen at Unicode 12, so newer sequences count 200.

Ranges are inclusive offsets in UTF-16 code units into the text as given, as twitter-text
reports them: the indices of a JavaScript string, so the dashboard can mark the overflow as is.
"""

from __future__ import annotations

import json
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
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
    weight_by_char = {char: config.weight_of(ord(char)) for char in set(normalized)}
    weights = list(map(weight_by_char.__getitem__, normalized))
    for start, end, weight in _entities(normalized, config):
        weights[start:end] = [weight] + [0] * (end - start - 1)  # weighed once, as a whole
    running_totals = list(accumulate(weights))
    total = running_totals[-1] if running_totals else 0
    invalid_at = min(
        (found for found in map(normalized.find, _INVALID_CHARACTERS) if found >= 0),
        default=len(normalized),
    )
    # The longest prefix within the limit and before any invalid character (which is never part
    # of an entity, so the prefix never ends inside one).
    valid_end = min(
        bisect_right(running_totals, config.max_weighted_length * config.scale), invalid_at
    )

    weighted = total // config.scale
    # Like twitter-text, map back to the text as given by the difference normalisation made.
    normalization_shift = _utf16_length(text) - _utf16_length(normalized)
    return WeightedLength(
        weighted_length=weighted,
        valid=invalid_at == len(normalized) and 0 < weighted <= config.max_weighted_length,
        permillage=weighted * 1000 // config.max_weighted_length,
        # Inclusive ends, which twitter-text leaves at 0 for an empty text or valid prefix.
        display_range=(0, max(_utf16_length(text) - 1, 0)),
        valid_range=(0, max(_utf16_length(normalized[:valid_end]) - 1, 0) + normalization_shift),
    )


def _entities(text: str, config: TextConfig) -> Iterator[tuple[int, int, int]]:
    """The URLs and emoji sequences of `text` as (start, end, weight), in order. Like
    twitter-text, where both could start, the URL wins, and nothing starts inside another."""
    urls = _url_spans(text)
    url_weight = config.transformed_url_length * config.scale
    starts = set(urls)
    if config.emoji_parsing_enabled:
        starts.update(found.start() for found in _EMOJI_START.finditer(text))
    taken_until = 0
    for start in sorted(starts):
        if start < taken_until:
            continue
        if start in urls:
            end, weight = urls[start], url_weight
        elif (emoji_end := _emoji_end(text, start)) is not None:
            end, weight = emoji_end, config.default_weight
        else:
            continue
        yield start, end, weight
        taken_until = end


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


# --- Emoji ------------------------------------------------------------------------------------
# A lone code point is weighed by the ranges, which gives the 200 of an emoji to every emoji code
# point except © and ®; twitter-text counts those as emoji only when U+FE0F follows, and then
# they are sequences of two.
_EMOJI_SEQUENCES = frozenset(key for key in EMOJI_DATA if len(key) > 1)
_EMOJI_FIRST_CODE_POINTS = frozenset(sequence[0] for sequence in _EMOJI_SEQUENCES)
# Where an emoji sequence may start. The astral first code points are given as one range: listed
# one by one, they make the search some twenty times slower; `_emoji_end` rejects the others.
_BMP_FIRSTS = sorted(char for char in _EMOJI_FIRST_CODE_POINTS if char <= "\uffff")
_ASTRAL_FIRSTS = sorted(char for char in _EMOJI_FIRST_CODE_POINTS if char > "\uffff")
_EMOJI_START = re.compile(
    f"[{''.join(map(re.escape, _BMP_FIRSTS))}{_ASTRAL_FIRSTS[0]}-{_ASTRAL_FIRSTS[-1]}]"
)
_LONGEST_EMOJI = max(map(len, _EMOJI_SEQUENCES))


def _emoji_end(text: str, start: int) -> int | None:
    """The end of the longest emoji sequence of two or more code points at `start`, if any."""
    if text[start] not in _EMOJI_FIRST_CODE_POINTS:
        return None
    for end in range(min(len(text), start + _LONGEST_EMOJI), start + 1, -1):
        if text[start:end] in _EMOJI_SEQUENCES:
            return end
    return None


# --- URLs, as twitter-text's extractUrlsWithIndices finds them -------------------------------
# Its regex, `before protocol? subdomain* domain-name TLD port? path? query?`, backtracks through
# a chain of labels for the last one a TLD follows, and does so again from every label of a long
# chain without one: quadratic time, minutes for 25,000 characters. The same URLs are found here
# in linear time: regexes match the parts, and a domain's end is worked out once per label run.
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


_TLD = re.compile(rf"(?i:{_tld_alternation()})(?=[^0-9a-zA-Z@+-]|\Z)|(?i:xn--[-0-9a-z]+)")
_DOMAIN_CHAR = f"[^{_PUNCTUATION}{_SPACES}{_INVALID}{_DIRECTIONAL_MARKS}]"
# Every TLD begins with a domain character, so a domain needs a dot followed by one.
_DOT_BEFORE_TLD = re.compile(rf"\.{_DOMAIN_CHAR}")
_DOMAIN_LABEL_RUN = re.compile(rf"(?:{_DOMAIN_CHAR}|[_-])+")
_ASCII_LABEL_RUN = re.compile(rf"[-a-zA-Z0-9{_LATIN_ACCENTS}]+")
# Where a URL may start: after a character that is none of these, on a domain character.
_URL_START = re.compile(rf"[^A-Za-z0-9@\uff20$#\uff03{_INVALID}](?={_DOMAIN_CHAR})")
_PROTOCOL = re.compile("[hH][tT][tT][pP][sS]?://")
_PATH_CHAR = rf"[a-zA-Z{_CYRILLIC}0-9!*';:=+,.$/%#\[\]\-\u2013_~&|@{_LATIN_ACCENTS}]"
_BALANCED_PARENS = rf"\((?:{_PATH_CHAR}+|{_PATH_CHAR}*\({_PATH_CHAR}+\){_PATH_CHAR}*)\)"
_PATH_END_CHAR = rf"[+\-a-zA-Z{_CYRILLIC}0-9=_#/{_LATIN_ACCENTS}]"
# twitter-text splices its ending-characters pattern, `[...]|(?:parens)`, into the path pattern
# without a group, so a path segment may also be balanced parentheses alone.
_PATH_SEGMENT = (
    rf"(?:{_PATH_CHAR}*(?:{_BALANCED_PARENS}{_PATH_CHAR}*)*{_PATH_END_CHAR}"
    rf"|{_BALANCED_PARENS}|@{_PATH_CHAR}+/)"
)
_QUERY = r"\?[a-zA-Z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]*[a-zA-Z0-9\-_&=#/]"
_AFTER_DOMAIN = re.compile(rf"(?::[0-9]+)?(?P<path>/{_PATH_SEGMENT}*)?(?:{_QUERY})?")
_TCO_URL = re.compile(rf"{_PROTOCOL.pattern}[tT]\.[cC][oO]/(?P<slug>[a-zA-Z0-9]+)(?:{_QUERY})?")
_IDEOGRAPHIC_DOTS = re.compile("[\u3002\uff0e\uff61]")
_NON_ASCII = re.compile("[^\x00-\x7e]")


class _Domains:
    """Where a domain (labels, each followed by a dot, then a TLD) ends from any position of a
    text, as twitter-text's regexes find it. Labels are runs of `label_run`. The regex takes as
    many labels as it can: a label takes the end found from the label after its dot if there is
    one, and else ends the domain itself with the TLD that follows its dot, if any."""

    def __init__(self, text: str, label_run: re.Pattern[str], *, strict_labels: bool) -> None:
        self._text = text
        # The main domain pattern wants each label to begin and end with a domain character and
        # no `_` in the last one; the ASCII-domain pattern has no such rules.
        self._strict = strict_labels
        self.runs = [found.span() for found in label_run.finditer(text)]
        self._run_starts = [start for start, _ in self.runs]
        self._last_underscores = [text.rfind("_", start, end) for start, end in self.runs]
        self._ends_from_run_start: list[int | None] = [None] * len(self.runs)
        for index in reversed(range(len(self.runs))):
            self._ends_from_run_start[index] = self._end(self.runs[index][0], index)

    def end(self, position: int) -> int | None:
        index = bisect_right(self._run_starts, position) - 1
        if index < 0 or position >= self.runs[index][1]:
            return None
        if position == self.runs[index][0]:
            return self._ends_from_run_start[index]
        return self._end(position, index)

    def _end(self, position: int, index: int) -> int | None:
        text, run_end, following = self._text, self.runs[index][1], index + 1
        if run_end + 1 >= len(text) or text[run_end] != ".":
            return None
        if self._strict and (text[position] in "_-" or text[run_end - 1] in "_-"):
            return None
        if following < len(self.runs) and self.runs[following][0] == run_end + 1:
            longer = self._ends_from_run_start[following]
            if longer is not None:
                return longer
        if self._strict and self._last_underscores[index] >= position:
            return None
        tld = _TLD.match(text, run_end + 1)
        return None if tld is None else tld.end()


@dataclass(frozen=True, slots=True)
class _UrlMatch:
    """One match of twitter-text's URL regex, before its extractor vets it."""

    before: str
    start: int
    end: int
    protocol: str
    domain: str
    domain_start: int
    has_path: bool


def _url_matches(text: str) -> Iterator[_UrlMatch]:
    """The matches of twitter-text's URL regex, in order, as its `exec` loop finds them."""
    domains = _Domains(text, _DOMAIN_LABEL_RUN, strict_labels=True)
    position = 0
    while position < len(text):
        # The regex tries its preceding character first; at the very start, none is needed.
        starts = [position + 1] if _URL_START.match(text, position) else []
        if position == 0:
            starts.append(0)
        for start in starts:
            protocol = _PROTOCOL.match(text, start)
            domain_start = start if protocol is None else protocol.end()
            domain_end = domains.end(domain_start)
            if domain_end is not None:
                after = _AFTER_DOMAIN.match(text, domain_end)
                assert after is not None  # its parts are all optional
                yield _UrlMatch(
                    before=text[start - 1 : start],
                    start=start,
                    end=after.end(),
                    protocol="" if protocol is None else protocol.group(),
                    domain=text[domain_start:domain_end],
                    domain_start=domain_start,
                    has_path=after["path"] is not None,
                )
                position = after.end()
                break
        else:
            following = _URL_START.search(text, position + 1)
            position = len(text) if following is None else following.start()


def _url_spans(text: str) -> dict[int, int]:
    """Where each URL that X would shorten starts and ends, in code points."""
    spans: dict[int, int] = {}
    if _DOT_BEFORE_TLD.search(text) is None:  # the common case of prose: no domain at all
        return spans
    for match in _url_matches(text):
        url_length = len(match.protocol or "https://") + _utf16_length(
            text[match.start : match.end]
        )
        if url_length > _MAX_URL_LENGTH or not _is_valid_host(match.domain):
            continue
        if match.protocol:
            end = match.end
            tco = _TCO_URL.match(text, match.start, match.end)
            if tco is not None:
                if len(tco["slug"]) > _MAX_TCO_SLUG_LENGTH:
                    continue
                end = tco.end()  # a t.co link takes no path after its slug
            spans[match.start] = end
        elif not match.before.endswith(("-", "_", ".", "/")):
            spans.update(_bare_domain_spans(match))
    return spans


def _bare_domain_spans(match: _UrlMatch) -> dict[int, int]:
    """A URL without protocol counts only through its ASCII domains; the last takes the path."""
    spans = {
        match.domain_start + start: match.domain_start + end
        for start, end in _ascii_domains(match.domain)
    }
    if spans and match.has_path:
        # twitter-text then weighs the URL's text with the domain replaced by its last ASCII
        # domain, so as many characters as that text holds count as the URL, from its start.
        spans[max(spans)] += match.end - (match.domain_start + len(match.domain))
    return spans


def _ascii_domains(domain: str) -> Iterator[tuple[int, int]]:
    """The spans of twitter-text's ASCII-domain regex in `domain`, as its global search finds
    them; every start within a label run ends the same way, so one try per run suffices."""
    domains = _Domains(domain, _ASCII_LABEL_RUN, strict_labels=False)
    position = 0
    for run_start, run_end in domains.runs:
        start = max(run_start, position)
        end = domains.end(start) if start < run_end else None
        if end is not None:
            yield start, end
            position = end


def _is_valid_host(domain: str) -> bool:
    """twitter-text's light IDNA check: every label fits DNS's 63 characters once punycoded."""
    if domain.startswith("xn--") and next(_ascii_domains(domain), None) is None:
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
