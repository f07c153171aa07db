"""The API's words (DESIGN §12): Chinese by default, English by ``?lang=`` or
``Accept-Language``; codes never change; masked roles get the words too,
without a personal id."""

from __future__ import annotations

import json

from api_support import AS_OF, Api

DAY = AS_OF.isoformat()


def flags(api: Api, role: str = "admin", **extra: str) -> list[dict[str, object]]:
    g = api.graph
    headers = {**api.headers(role), **extra.pop("headers", {})}  # type: ignore[dict-item]
    r = api.client.get(
        f"/entities/{g['星辰科技']}/flags", headers=headers, params={"as_of": DAY, **extra}
    )
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_chinese_by_default_english_on_request(api: Api) -> None:
    (zh,) = flags(api)
    assert zh["flag"] == "related_enterprise" and zh["label"] == "关联企业（严重失信主体名单）"
    assert "张伟是华盛电子有限公司（严重失信主体名单，2024-01-10 列入）的法定代表人" in str(
        zh["explanation"]
    )
    (en,) = flags(api, lang="en")
    assert en["flag"] == zh["flag"]
    assert en["label"] == "related enterprise (serious dishonesty list)"
    (negotiated,) = flags(api, headers={"Accept-Language": "en-GB,en;q=0.9,zh;q=0.5"})
    assert negotiated["explanation"] == en["explanation"]
    (ignored,) = flags(api, lang="fr")  # an unknown language is no error: the default
    assert ignored["explanation"] == zh["explanation"]


def test_masked_roles_read_the_words_without_a_personal_id(api: Api) -> None:
    g = api.graph
    (flag,) = flags(api, role="public")
    assert "张伟是华盛电子有限公司" in str(flag["explanation"]) and flag["clauses"]
    body = json.dumps(flag, ensure_ascii=False)
    assert g["张伟"] not in body
