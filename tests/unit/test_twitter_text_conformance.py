"""X's weighted length against twitter-text's own conformance suite, case by case.

The suite and its v3 config live in tests/data/twitter-text, unchanged from
https://github.com/twitter/twitter-text (Apache License 2.0). Its WeightedTweetsCounterTest
section predates emoji parsing: twitter-text runs it with config v2, which is v3 without
`emojiParsingEnabled` (https://github.com/twitter/twitter-text/blob/master/config/v2.json), and
two of its texts expect there what the emoji section expects otherwise.
"""

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from functions.shared import text_length
from functions.shared.text_length import X_TEXT_CONFIG, TextConfig, WeightedLength

SUITE = Path(__file__).resolve().parents[1] / "data" / "twitter-text"
SHIPPED_CONFIG = Path(text_length.__file__).with_name("twitter_text_config_v3.json")
CONFIG_V2 = dataclasses.replace(X_TEXT_CONFIG, emoji_parsing_enabled=False)

_TESTS: dict[str, list[dict[str, Any]]] = yaml.safe_load(
    (SUITE / "validate.yml").read_text(encoding="utf-8")
)["tests"]
SECTIONS = (
    "WeightedTweetsCounterTest",
    "WeightedTweetsWithDiscountedEmojiCounterTest",
    "UnicodeDirectionalMarkerCounterTest",
)


def cases(section: str) -> list[Any]:
    return [pytest.param(case, id=case["description"]) for case in _TESTS[section]]


def in_suite_terms(result: WeightedLength) -> dict[str, Any]:
    return {
        "weightedLength": result.weighted_length,
        "valid": result.valid,
        "permillage": result.permillage,
        "displayRangeStart": result.display_range[0],
        "displayRangeEnd": result.display_range[1],
        "validRangeStart": result.valid_range[0],
        "validRangeEnd": result.valid_range[1],
    }


def test_the_shipped_config_is_the_suites_v3_config() -> None:
    """Lambda bundles carry no tests/data, so the module reads its own copy of the file."""
    assert SHIPPED_CONFIG.read_bytes() == (SUITE / "config-v3.json").read_bytes()
    suite_config = json.loads((SUITE / "config-v3.json").read_text(encoding="utf-8"))
    assert TextConfig.from_json(suite_config) == X_TEXT_CONFIG
    assert X_TEXT_CONFIG.emoji_parsing_enabled


@pytest.mark.parametrize("section", SECTIONS)
def test_every_section_has_cases(section: str) -> None:
    assert _TESTS[section]


@pytest.mark.parametrize("case", cases("WeightedTweetsCounterTest"))
def test_weighted_tweets(case: dict[str, Any]) -> None:
    result = text_length.weighted_length(case["text"], CONFIG_V2)
    assert in_suite_terms(result) == case["expected"]


@pytest.mark.parametrize("case", cases("WeightedTweetsWithDiscountedEmojiCounterTest"))
def test_weighted_tweets_with_discounted_emoji(case: dict[str, Any]) -> None:
    assert in_suite_terms(text_length.x_weighted_length(case["text"])) == case["expected"]


@pytest.mark.parametrize("case", cases("UnicodeDirectionalMarkerCounterTest"))
def test_unicode_directional_markers(case: dict[str, Any]) -> None:
    assert in_suite_terms(text_length.x_weighted_length(case["text"])) == case["expected"]
