"""Language (DESIGN §12): zh-CN by default, English on request.

Words live in gettext catalogs (``credgraph/locale/<locale>/LC_MESSAGES/
credgraph.po``, compiled to ``.mo`` by ``make locale`` with Babel); msgids are
English, so English needs no catalog. Sentences that explain flags, verdict
reasons and measures are templates in the policy (``explanations`` in
``policy.yaml``) and are filled by :mod:`queries.explain`.

The language in force is a context variable: the CLI's ``--lang`` and the
API's ``?lang=`` / ``Accept-Language`` set it; ``CREDGRAPH_LANG`` is the
default.

>>> term("list", "dishonest_debtor", "zh"), term("list", "dishonest_debtor", "en")
('失信被执行人', 'dishonest judgment debtors')
"""

from __future__ import annotations

import gettext as _gettext
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = get_args(Lang)
DEFAULT_LANG: Lang = "zh"
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "credgraph"
#: gettext locale of each language (English is the msgid itself)
_LOCALES: dict[Lang, str] = {"zh": "zh_CN", "en": "en"}

_current: ContextVar[Lang | None] = ContextVar("credgraph_lang", default=None)


class Message(str):
    """A message marked for translation, shown in the language in force when
    it is shown (an error raised under one language may be shown in another:
    the API answers in the request's language, the CLI in ``--lang``'s).

    The string itself is the English text (the msgid filled with the
    parameters), so logs, ``str(exc)`` and English are today's words;
    :meth:`text` translates the msgid and fills in the parameters (a
    parameter that is itself a :class:`Message` is translated too).

    >>> m = N_("unknown subject {subject}", subject="91X")
    >>> str(m), m.text("zh")
    ('unknown subject 91X', '未知主体 91X')
    """

    template: str
    params: dict[str, object]

    def __new__(cls, template: str, /, **params: object) -> Message:
        self = super().__new__(cls, template.format(**params) if params else template)
        self.template, self.params = template, params
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (_message, (self.template, self.params))

    def text(self, lang: Lang | None = None) -> str:
        """The message in ``lang`` (default: the language in force)."""
        chosen = lang or current_lang()
        template = translations(chosen).gettext(self.template)
        if not self.params:
            return template
        params = {k: localised(v, chosen) for k, v in self.params.items()}
        try:
            return template.format(**params)
        except (KeyError, IndexError, ValueError):  # a translation that does not fit: English
            return self.template.format(**params)


def _message(template: str, params: dict[str, object]) -> Message:
    return Message(template, **params)


def N_(message: str, /, **params: object) -> Message:
    """Mark ``message`` (an English msgid, with ``{named}`` placeholders
    filled from ``params``) for extraction; it is translated when shown
    (:meth:`Message.text`, :func:`localised`)."""
    return Message(message, **params)


def localised(value: object, lang: Lang | None = None) -> object:
    """``value`` to show in ``lang``: a :class:`Message` translated, an
    exception as its message (translated when it carries a :class:`Message`),
    anything else unchanged (numbers keep their format specs)."""
    if isinstance(value, BaseException):
        args = value.args
        value = args[0] if len(args) == 1 and isinstance(args[0], Message) else str(value)
    if isinstance(value, Message):
        return value.text(lang)
    return value


def message_text(value: object, lang: Lang | None = None) -> str:
    """:func:`localised` as a string (for one-line errors)."""
    return str(localised(value, lang))


def T_(context: str, message: str) -> str:
    """Mark a term (``context``, English name) for extraction (``pgettext``)."""
    return message


#: The terms of the codes in JSON (context = kind of code). The Chinese names
#: follow the official terms of the national credit system.
TERMS: dict[str, dict[str, str]] = {
    "list": {
        "serious_dishonesty": T_("list", "serious dishonesty list"),
        "dishonest_debtor": T_("list", "dishonest judgment debtors"),
        "serious_illegal": T_("list", "serious illegal and dishonest list"),
        "abnormal_operation": T_("list", "abnormal operation list"),
        "key_attention": T_("list", "key attention list"),
        "red": T_("list", "red list"),
    },
    "flag": {
        "listed": T_("flag", "listed"),
        "responsible_person": T_("flag", "responsible person"),
        "related_enterprise": T_("flag", "related enterprise"),
    },
    "role": {
        "legal_representative": T_("role", "legal representative"),
        "executive": T_("role", "senior manager"),
        "shareholder": T_("role", "shareholder"),
        "controlling_shareholder": T_("role", "controlling shareholder"),
        "actual_controller": T_("role", "actual controller"),
        "branch_of": T_("role", "branch"),
        "parent_of": T_("role", "head office"),
        "named_responsible": T_("role", "directly responsible person"),
    },
    "title": {
        "chairman": T_("title", "chairman"),
        "director": T_("title", "director"),
        "supervisor": T_("title", "supervisor"),
        "general_manager": T_("title", "general manager"),
        "manager": T_("title", "manager"),
        "other": T_("title", "senior manager"),
    },
    "verdict": {
        "reject": T_("verdict", "reject"),
        "review": T_("verdict", "review"),
        "pass": T_("verdict", "pass"),
        "eligible": T_("verdict", "eligible"),
        "not_eligible": T_("verdict", "not eligible"),
        "unknown": T_("verdict", "unknown"),
        "invalid": T_("verdict", "invalid"),
    },
    "reason": {
        "red_listed": T_("reason", "on the red list"),
        "negative_record": T_("reason", "negative record"),
        "clean_record": T_("reason", "clean record"),
        "linked_bidder": T_("reason", "linked bidder"),
    },
    "link": {
        "shared_person": T_("link", "shared person"),
        "ownership": T_("link", "ownership"),
        "common_controller": T_("link", "common controller"),
        "shared_contact": T_("link", "shared contact"),
    },
    "basis": {
        "declared": T_("basis", "declared"),
        "majority_chain": T_("basis", "majority chain"),
    },
    "field": {
        "uscc": T_("field", "USCC"),
        "person_id": T_("field", "id number"),
        "id_type": T_("field", "id type"),
        "name": T_("field", "name"),
        "kind": T_("field", "kind"),
        "status": T_("field", "status"),
        "established_on": T_("field", "established on"),
        "registered_capital": T_("field", "registered capital"),
        "region": T_("field", "region"),
        "industry": T_("field", "industry"),
        "address": T_("field", "address"),
        "phone": T_("field", "phone"),
        "email": T_("field", "email"),
    },
    "linkrule": {
        "same_principal": T_("linkrule", "same principal"),
        "control": T_("linkrule", "control or management"),
        "indicator": T_("linkrule", "indicator"),
        "mass_contact": T_("linkrule", "mass-registration contact"),
    },
    "scenario": {
        "government_procurement": T_("scenario", "government procurement"),
        "public_bidding": T_("scenario", "public bidding"),
        "administrative_licensing": T_("scenario", "administrative licensing"),
        "fiscal_funding": T_("scenario", "fiscal funding"),
        "honours": T_("scenario", "honours and awards"),
        "financing": T_("scenario", "financing"),
        "appointment": T_("scenario", "appointment"),
        "green_channel": T_("scenario", "green channel"),
    },
    "rule": {
        "L0": T_("rule", "L0 listed"),
        "P1": T_("rule", "P1 responsible person"),
        "P2": T_("rule", "P2 related through a person"),
        "P3": T_("rule", "P3 related through control"),
    },
    "status": {
        "active": T_("status", "active"),
        "suspended": T_("status", "suspended (objection)"),
        "removed": T_("status", "removed"),
        "expired": T_("status", "expired"),
        "future": T_("status", "not yet in force"),
        "revoked": T_("status", "revoked"),
        "cancelled": T_("status", "cancelled"),
        "other": T_("status", "other"),
    },
    "type": {
        "enterprise": T_("type", "enterprise"),
        "person": T_("type", "person"),
    },
    "kind": {
        "company": T_("kind", "company"),
        "individual_business": T_("kind", "individual business"),
        "branch": T_("kind", "branch"),
        "social_org": T_("kind", "social organisation"),
        "public_institution": T_("kind", "public institution"),
        "other": T_("kind", "other"),
        "resident_id": T_("kind", "resident identity card"),
        "passport": T_("kind", "passport"),
    },
}


def current_lang() -> Lang:
    """The language in force: set by ``--lang`` / the request, else ``CREDGRAPH_LANG``."""
    lang = _current.get()
    return lang if lang is not None else default_lang()


@cache
def default_lang() -> Lang:
    """``CREDGRAPH_LANG``, else zh (the settings are read only when it is set:
    pydantic-settings alone costs a CLI start ~0.2 s)."""
    if not any(key.upper() == "CREDGRAPH_LANG" for key in os.environ):
        return DEFAULT_LANG
    from credgraph.settings import Settings

    return Settings().lang


def set_lang(lang: Lang | None) -> None:
    """Make ``lang`` the language of this context (None: back to the default)."""
    _current.set(lang)


@contextmanager
def using(lang: Lang) -> Iterator[None]:
    """Run a block in ``lang``."""
    token = _current.set(lang)
    try:
        yield
    finally:
        _current.reset(token)


def parse_lang(value: str | None) -> Lang | None:
    """``zh``, ``zh-CN``, ``zh_Hans``, ``en-GB``… as a supported language, or None.

    >>> parse_lang("zh-CN"), parse_lang("EN_us"), parse_lang("fr")
    ('zh', 'en', None)
    """
    if not value:
        return None
    head = value.strip().replace("_", "-").split("-")[0].lower()
    for lang in LANGS:
        if head == lang:
            return lang
    return None


def negotiate(accept_language: str | None) -> Lang | None:
    """The supported language an ``Accept-Language`` header prefers (Babel's
    negotiation over the q-ordered list), or None.

    >>> negotiate("fr-FR, en;q=0.8, zh;q=0.5"), negotiate("de")
    ('en', None)
    """
    if not accept_language:
        return None
    from babel.core import negotiate_locale

    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, i, tag.strip().replace("-", "_")))
    preferred = [tag.split("_")[0].lower() for _, _, tag in sorted(ranked)]
    found = negotiate_locale(preferred, list(LANGS))
    return parse_lang(found)


@cache
def translations(lang: Lang) -> _gettext.NullTranslations:
    """The compiled catalog of ``lang`` (English: the msgids themselves)."""
    if lang == "en":
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, LOCALE_DIR, languages=[_LOCALES[lang]])


def gettext(message: str, lang: Lang | None = None) -> str:
    """``message`` (an English msgid) in ``lang`` (default: the language in force)."""
    return translations(lang or current_lang()).gettext(message)


def term(kind: str, code: object, lang: Lang | None = None) -> str:
    """The name of a code (``term("list", "red")``); unknown codes stay as they are."""
    if code is None or code == "":
        return ""
    text = str(getattr(code, "value", code))
    english = TERMS.get(kind, {}).get(text)
    if english is None:
        return text
    return translations(lang or current_lang()).pgettext(kind, english)


#: the kinds of codes a table cell may hold, the first naming a code wins
_CELL_KINDS: tuple[str, ...] = ("flag", "list", "verdict", "scenario", "role", "title")
_CELL_KINDS += ("status", "type", "reason", "link", "linkrule")


@cache
def _code_kinds() -> dict[str, str]:
    """Every code with the first kind that names it (for table cells)."""
    found: dict[str, str] = {}
    for kind in _CELL_KINDS:
        for code in TERMS[kind]:
            found.setdefault(code, kind)
    return found


def code_label(value: object, lang: Lang | None = None) -> str:
    """A table cell: a known code as its name, anything else unchanged.

    >>> code_label("reject", "zh"), code_label("张三", "zh")
    ('否决', '张三')
    """
    text = str(getattr(value, "value", value))
    kind = _code_kinds().get(text)
    return term(kind, text, lang) if kind else text
