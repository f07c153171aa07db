"""The explorer's one message catalog (viz/static/js/messages.js): every key the
pages and scripts use exists, in Chinese and in English."""

from __future__ import annotations

import re
from pathlib import Path

STATIC = Path(__file__).parents[2] / "viz" / "static"
ENTRY = re.compile(
    r'"([\w.]+)":\s*\{zh:\s*"((?:[^"\\]|\\.)*)",\s*en:\s*"((?:[^"\\]|\\.)*)"\}', re.S
)
USES = (
    re.compile(r'CG\.t\("([\w.]+)"'),
    re.compile(r'data-i18n(?:-[\w-]+)?=["\']([\w.]+)["\']'),
    re.compile(r'(?:legend|nav): "([\w.]+)"'),
)


def catalog() -> dict[str, tuple[str, str]]:
    text = (STATIC / "js" / "messages.js").read_text("utf-8")
    entries = {key: (zh, en) for key, zh, en in ENTRY.findall(text)}
    declared = re.findall(r'^\s*"([\w.]+)":', text, re.M)
    assert sorted(declared) == sorted(entries), "an entry is not {zh: …, en: …}"
    assert len(declared) == len(set(declared)), "a key is declared twice"
    return entries


def used_keys() -> set[str]:
    sources = [STATIC / "index.html", *sorted((STATIC / "js").rglob("*.js"))]
    found: set[str] = set()
    for source in sources:
        text = re.sub(r"/\*.*?\*/", "", source.read_text("utf-8"), flags=re.S)  # not comments
        for pattern in USES:
            found |= set(pattern.findall(text))
    return found


def test_every_key_used_is_in_the_catalog_in_both_languages() -> None:
    entries = catalog()
    used = used_keys()
    assert len(used) > 50
    missing = sorted(used - set(entries))
    assert not missing, missing
    for key, (zh, en) in entries.items():
        assert zh.strip() and en.strip(), key
        placeholders = re.compile(r"\{(\w+)\}")
        assert sorted(placeholders.findall(zh)) == sorted(placeholders.findall(en)), key


def test_the_chinese_side_is_chinese() -> None:
    entries = catalog()
    han = re.compile(r"[\u4e00-\u9fff]")
    not_chinese = [k for k, (zh, _) in entries.items() if not han.search(zh)]
    assert not_chinese == ["lang.switch", "lang.switch_title"], not_chinese


def test_every_view_file_registers_itself_and_is_loaded() -> None:
    page = (STATIC / "index.html").read_text("utf-8")
    for view in sorted((STATIC / "js" / "views").glob("*.js")):
        assert "CG.router.register(" in view.read_text("utf-8"), view.name
        assert f'src="/static/js/views/{view.name}"' in page, view.name
