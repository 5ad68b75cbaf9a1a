"""functions/shared/text_length.py beyond twitter-text's conformance suite (which
test_twitter_text_conformance.py runs): code point counts, the emoji and URL rules the suite
leaves out, and the linear-time URL matcher against the regex it stands for.

Rules from twitter-text (https://github.com/twitter/twitter-text): js/src/parseTweet.js,
js/src/extractUrlsWithIndices.js, js/src/lib/idna.js and js/src/regexp/*.
"""

import random
import re
from pathlib import Path

import pytest
import yaml
from emoji import EMOJI_DATA

from functions.shared import text_length
from functions.shared.text_length import (
    X_TEXT_CONFIG,
    WeightedLength,
    count_code_points,
    x_weighted_length,
)

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"


def weight(text: str) -> int:
    return x_weighted_length(text).weighted_length


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("", 0, id="empty"),
        pytest.param("Hello", 5, id="ascii"),
        pytest.param("A\u0301", 1, id="a combining accent composes"),
        pytest.param("\u1100\u1161", 1, id="hangul jamo compose"),
        pytest.param("\U0001f637", 1, id="astral emoji is one code point"),
        pytest.param(FAMILY, 7, id="four people and three joiners"),
        pytest.param("\ufb2c", 3, id="a composition exclusion decomposes"),
    ],
)
def test_count_code_points_counts_nfc_code_points(text: str, expected: int) -> None:
    assert count_code_points(text) == expected


def test_single_code_point_emoji_weigh_two_except_copyright_and_registered() -> None:
    """A lone code point is weighed by the config's ranges, not as an emoji: that must give 200
    to every emoji code point but (c) and (R), which twitter-text counts as emoji only with
    U+FE0F."""
    light = {key for key in EMOJI_DATA if len(key) == 1 and X_TEXT_CONFIG.weight_of(ord(key)) < 200}
    assert light == {"\u00a9", "\u00ae"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("\u00a9", 1, id="copyright alone is a Latin-1 character"),
        pytest.param("\u00a9\ufe0f", 2, id="copyright with VS16 is an emoji"),
        pytest.param("\u00a9\ufe0e", 3, id="copyright with VS15 is text, and VS15 is heavy"),
        pytest.param("\U0001f1fa\U0001f1f8", 2, id="a flag"),
        pytest.param("\U0001f1e6\U0001f1e6", 4, id="two regional indicators that are no flag"),
        pytest.param("#\ufe0f\u20e3", 2, id="a keycap"),
        pytest.param("\u2764\ufe0f\u200d\U0001f525", 2, id="heart on fire, Unicode 13.1"),
        pytest.param("\U0001f426\u200d\u2b1b", 2, id="black bird, Unicode 15"),
        pytest.param(
            "\U0001f468\u200d\U0001f9b0\u200d\U0001f469", 5, id="a sequence Unicode lacks splits"
        ),
    ],
)
def test_emoji_sequences_weigh_two(text: str, expected: int) -> None:
    assert weight(text) == expected


def test_without_emoji_parsing_every_code_point_counts() -> None:
    config = text_length.TextConfig.from_json(
        {"maxWeightedTweetLength": 280, "scale": 100, "defaultWeight": 200}
        | {"transformedURLLength": 23, "ranges": [{"start": 0, "end": 4351, "weight": 100}]}
    )
    assert text_length.weighted_length(FAMILY, config).weighted_length == 4 * 2 + 3 * 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("example.com", 23, id="a domain without protocol"),
        pytest.param(" example.com", 24, id="after a space"),
        pytest.param("-example.com", 12, id="no domain without protocol after a dash"),
        pytest.param("t.co/abc", 23, id="t.co without protocol"),
        pytest.param("https://t.co/abc/def", 27, id="a t.co link takes no further path"),
        pytest.param("https://t.co/" + "a" * 41, 54, id="a t.co slug over 40 is no URL"),
        pytest.param("a" * 63 + ".com", 23, id="a 63-character label"),
        pytest.param("a" * 64 + ".com", 68, id="a 64-character label is no URL"),
        pytest.param("http://\u65e5\u672c\u8a9e.jp", 23, id="an internationalised domain"),
        pytest.param("http://example.com/wiki/Primer_(film)", 23, id="balanced parentheses"),
        pytest.param("see example.com.", 4 + 23 + 1, id="a closing dot is not the URL's"),
        pytest.param("http://example.com/a.(b)", 23 + 4, id="parentheses after a dot end it"),
        # Without protocol, only the ASCII domain "w.ком" is the URL, yet parseTweet weighs the
        # URL's text with the domain replaced by it, "w.ком/", as one: ".jp/" minus 1 remains.
        pytest.param("w.\u043a\u043e\u043c.jp/", 23 + 3, id="a path after a non-ASCII TLD"),
    ],
)
def test_urls_weigh_the_t_co_length(text: str, expected: int) -> None:
    assert weight(text) == expected


def test_urls_are_limited_to_4096_characters_counting_the_protocol_twice() -> None:
    """twitter-text adds the protocol's length to the URL's, which already holds it."""
    prefix = "https://example.com/"
    longest = prefix + "a" * (4096 - len("https://") - len(prefix))
    assert weight(longest) == 23
    assert weight(longest + "a") == len(longest) + 1


def test_an_empty_text_is_invalid_with_ranges_at_zero_as_twitter_text_has_them() -> None:
    assert x_weighted_length("") == WeightedLength(0, False, 0, (0, 0), (0, 0))


def test_a_lone_surrogate_counts_as_a_heavy_character() -> None:
    """JSON may carry one; it must not break the count."""
    assert weight("\ud83dabc") == 2 + 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("a." * 12_500, 25_000, id="a chain of labels without TLD"),
        pytest.param("a_b." * 6_250, 25_000, id="labels that may not end a domain"),
        # CJK weighs 2; the label is too long to be a domain, so no URL either.
        pytest.param("\u6545" * 24_996 + ".com", 2 * 24_996 + 4, id="one long label"),
    ],
)
def test_long_label_chains_are_counted_as_plain_text(text: str, expected: int) -> None:
    """25,000 characters, as many as X's longest posts hold, with no URL in them. twitter-text's
    regex backtracks for minutes on the label chains (a regression here stalls the suite); the
    long label must not be punycoded (quadratic) either."""
    counted = x_weighted_length(text)
    assert counted.weighted_length == expected
    assert not counted.valid


# --- The URL matcher against the regex it replaces --------------------------------------------
# twitter-text's extractUrl and validAsciiDomain regexes, written out from the module's parts but
# for the top-level domains, which come from upstream's own list (tld_lib.yml, vendored unchanged
# with the conformance suite) as js/src/regexp/validGTLD.js, validCCTLD.js and validPunycode.js
# build them; their backtracking makes them quadratic, which only matters on long texts.
TLD_LIB: dict[str, list[str]] = yaml.safe_load(
    (Path(__file__).resolve().parents[1] / "data" / "twitter-text" / "tld_lib.yml").read_text(
        encoding="utf-8"
    )
)
RUNTIME_TLDS = Path(text_length.__file__).with_name("twitter_text_tlds.txt")


def _tlds(kind: str) -> str:
    names = "|".join(re.escape(str(name)) for name in TLD_LIB[kind])
    return rf"(?i:{names})(?=[^0-9a-zA-Z@+-]|\Z)"


_CHAR = text_length._DOMAIN_CHAR
_TLD = rf"(?:{_tlds('generic')}|{_tlds('country')}|(?i:xn--[\-0-9a-z]+))"


def test_the_runtime_tld_list_is_upstreams_generic_then_country_list() -> None:
    listed = [
        line
        for line in RUNTIME_TLDS.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]

    assert listed == [str(name) for name in (*TLD_LIB["generic"], *TLD_LIB["country"])]


EXTRACT_URL = re.compile(
    rf"(?P<before>[^A-Za-z0-9@\uff20$#\uff03\ufffe\ufeff\uffff]|^)"
    rf"(?P<url>(?P<protocol>{text_length._PROTOCOL.pattern})?(?P<domain>"
    rf"(?:(?:{_CHAR}(?:[_-]|{_CHAR})*)?{_CHAR}\.)*"  # subdomains
    rf"(?:(?:{_CHAR}(?:-|{_CHAR})*)?{_CHAR}\.)"  # domain name
    rf"{_TLD}){text_length._AFTER_DOMAIN.pattern})"
)
VALID_ASCII_DOMAIN = re.compile(rf"(?:[\-a-zA-Z0-9{text_length._LATIN_ACCENTS}]+\.)+{_TLD}")
PIECES = [
    *"abcx-_./: ?=#@()1\u65e5\u00e9\u202a\u3002\u2013\U0001f637\ufffe\u200e",
    *("com", "co", "jp", "uk", "xn--", "xn--p1ai", "http://", "https://", "HTTPS://", "t.co/"),
    *("\u043a\u043e\u043c", "\u5609\u91cc", "\u5927\u9152\u5e97", "www.", "example", "/foo"),
    *("?q=1", ":8080", "(a(b)c)", "a-b", "ab_", ".co.uk", "-.", "_.", "..", "ab12"),
]


def test_url_matches_are_the_regexs_on_random_texts() -> None:
    pick = random.Random(20_240).choice  # noqa: S311 (reproducible test input, not a secret)
    mismatches: list[tuple[str, object, object]] = []
    for _ in range(3000):
        text = "".join(pick(PIECES) for _ in range(pick(range(1, 30))))
        expected = [
            (m.start("url"), m.end("url"), m["domain"], m["path"] is not None, m["before"])
            for m in EXTRACT_URL.finditer(text)
        ]
        found = [
            (url.start, url.end, url.domain, url.has_path, url.before)
            for url in text_length._url_matches(text)
        ]
        if found != expected:
            mismatches.append((text, found, expected))
        for domain in {url.domain for url in text_length._url_matches(text)}:
            ascii_domains = [m.span() for m in VALID_ASCII_DOMAIN.finditer(domain)]
            if list(text_length._ascii_domains(domain)) != ascii_domains:
                mismatches.append((domain, list(text_length._ascii_domains(domain)), ascii_domains))
    assert not mismatches
