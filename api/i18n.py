"""The language of an API answer (DESIGN §12): ``?lang=zh|en``, else the
``Accept-Language`` header, else ``CREDGRAPH_LANG`` (default zh).

A dependency of every route (``create_app``): it sets the language in force
for the request, which :func:`queries.explain.explain` uses for the
``label`` and ``explanation`` fields. Codes never change with the language.
Problems (:mod:`api.problems`) negotiate the same way with
:func:`request_lang`, from the request itself: a problem may be raised
before this dependency ran (a 401, an unknown route, a body too large).
"""

from typing import Annotated

from fastapi import Header, Query, Request

from credgraph.i18n import Lang, default_lang, negotiate, parse_lang, set_lang


def chosen_lang(lang: str | None, accept_language: str | None) -> Lang | None:
    """The language ``?lang=`` names, else the one ``Accept-Language`` prefers."""
    return parse_lang(lang) or negotiate(accept_language)


def request_lang(request: Request | None) -> Lang:
    """The language of the answer to ``request``: :func:`chosen_lang`, else
    ``CREDGRAPH_LANG`` (zh by default)."""
    if request is None:
        return default_lang()
    query, headers = request.query_params, request.headers
    return chosen_lang(query.get("lang"), headers.get("accept-language")) or default_lang()


async def request_language(
    lang: Annotated[
        str | None,
        Query(
            description="Language of labels, explanations and problems: zh or en "
            "(default: Accept-Language, then zh). Other values are ignored.",
            examples=["zh", "en"],
        ),
    ] = None,
    accept_language: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> None:
    """Set the language in force for this request (async: runs in the request's
    own context, which the endpoint's worker thread inherits)."""
    set_lang(chosen_lang(lang, accept_language))
