"""The language of an API answer (DESIGN §12): ``?lang=zh|en``, else the
``Accept-Language`` header, else ``CREDGRAPH_LANG`` (default zh).

A dependency of every route (``create_app``): it sets the language in force
for the request, which :func:`queries.explain.explain` uses for the
``label`` and ``explanation`` fields. Codes never change with the language.
"""

from typing import Annotated

from fastapi import Header, Query

from credgraph.i18n import negotiate, parse_lang, set_lang


async def request_language(
    lang: Annotated[
        str | None,
        Query(
            description="Language of labels and explanations: zh or en "
            "(default: Accept-Language, then zh). Other values are ignored.",
            examples=["zh", "en"],
        ),
    ] = None,
    accept_language: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> None:
    """Set the language in force for this request (async: runs in the request's
    own context, which the endpoint's worker thread inherits)."""
    set_lang(parse_lang(lang) or negotiate(accept_language))
