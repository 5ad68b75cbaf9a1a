"""Every relative link in the README and docs/ leads somewhere: to a file that exists and, for an
`#anchor` into a markdown file, to one of its headings (as GitHub names heading anchors)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6} +(.+?) *#* *$", re.MULTILINE)
_EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # https:, mailto:...


def prose(markdown: str) -> str:
    """The text links can be in: code blocks and code spans show links, they do not make them."""
    return _CODE_SPAN.sub("", _FENCE.sub("", markdown))


def relative_links(markdown: str) -> list[str]:
    return [target for target in _LINK.findall(prose(markdown)) if not _EXTERNAL.match(target)]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: its text as shown, lower case, without punctuation, with
    each space a hyphen."""
    shown = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "")
    return re.sub(r"[^\w\- ]", "", shown.lower()).replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """Every heading's anchor; a repeated heading gets -1, -2... as on GitHub."""
    found: set[str] = set()
    for heading in _HEADING.findall(_FENCE.sub("", markdown)):
        base = anchor = slug(heading)
        repeat = 0
        while anchor in found:
            repeat += 1
            anchor = f"{base}-{repeat}"
        found.add(anchor)
    return found


def broken_links(document: Path) -> list[str]:
    broken = []
    for target in relative_links(document.read_text()):
        path_part, _, anchor = target.partition("#")
        linked = (document.parent / path_part).resolve() if path_part else document
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked.read_text()):
            broken.append(f"{target}: no such heading")
    return broken


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_leads_to_a_file_and_heading_that_exist(document: Path) -> None:
    assert broken_links(document) == []


def test_the_readme_links_every_docs_page() -> None:
    linked = {
        (ROOT / target.partition("#")[0]).resolve()
        for target in relative_links((ROOT / "README.md").read_text())
    }

    assert {page for page in DOCUMENTS[1:] if page not in linked} == set()


def test_the_checker_finds_a_missing_file_and_a_missing_heading(tmp_path: Path) -> None:
    (tmp_path / "page.md").write_text("# A page\n\n## Set-up: step `one`\n\n## Again\n## Again\n")
    document = tmp_path / "index.md"
    document.write_text(
        "[ok](page.md) [ok](page.md#set-up-step-one) [ok](page.md#again-1) [ok](#index)\n"
        "[ok](https://example.com/gone.md) `[not a link](gone.md)`\n"
        "```\n[not a link](gone.md)\n```\n"
        "# Index\n[missing](gone.md) [missing heading](page.md#step-two) [x](page.md#again-2)\n"
    )

    assert broken_links(document) == [
        "gone.md: no such file",
        "page.md#step-two: no such heading",
        "page.md#again-2: no such heading",
    ]
