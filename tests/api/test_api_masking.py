"""Masking by type (issue 15.6) and ids in free text however written (16.8)."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from api_support import AS_OF, PASSPORT, Api
from pydantic import BaseModel

from api.keys import ApiRole
from api.masking import masked_body
from api.refs import RefCodec
from api.security import Caller
from credgraph.ids import mask_person_id
from credgraph.model import Batch, IdType, ListEntry, ListKind, NodeId, NodeKind, PersonContact

DAY = AS_OF.isoformat()


def compact(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKC", text) if c.isalnum()).upper()


class Unseen(BaseModel):
    """A result model the API code has never heard of."""

    who: NodeId
    chain: list[list[NodeId]]
    phone: PersonContact = None
    note: str = ""


def test_any_model_with_typed_ids_is_masked(api: Api) -> None:
    g = api.graph
    caller = Caller("reader", ApiRole.PUBLIC, RefCodec(bytes(64)))
    other = "ZZ7777777"  # no stored node, not a USCC: masked, not trusted
    result = Unseen(
        who=g["张伟"],
        chain=[[g["华盛电子"], PASSPORT, other]],
        phone="13800138000",
        note=f"见 {g['张伟'][:6]}-{g['张伟'][6:]}",
    )
    body = masked_body(caller, api.store, result)
    zhang_ref = caller.ref(g["张伟"], IdType.RESIDENT_ID)
    assert body["who"] == zhang_ref
    assert body["chain"] == [
        [g["华盛电子"], caller.ref(PASSPORT, IdType.PASSPORT), mask_person_id(other, IdType.OTHER)]
    ]
    assert body["phone"] is None
    assert g["张伟"] not in compact(body["note"])
    # without a masking context the model is the CLI's JSON, unchanged
    assert result.model_dump()["who"] == g["张伟"]


@pytest.mark.parametrize("page", ["report", "report.html"])
def test_ids_written_any_way_in_free_text_are_masked(api: Api, page: str) -> None:
    g = api.graph
    zhang = g["张伟"]
    spaced = " ".join(zhang[i : i + 4] for i in range(0, 18, 4))
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in zhang)
    hyphenated = f"{zhang[:6]}-{zhang[6:14]}-{zhang[14:]}"
    old = "440125710207841"
    entry = ListEntry(
        entry_id="E-TEXT",
        subject_id=g["华盛电子"],
        subject_type=NodeKind.ENTERPRISE,
        list=ListKind.KEY_ATTENTION,
        decided_on=date(2024, 1, 1),
        reason=(
            f"法定代表人 {spaced}；又作 {full_width}、{hyphenated}；旧证 {old}；护照 E 1234 5678"
        ),
        case_no=f"（2024）粤01执{zhang}号",
    )
    api.store.upsert(Batch(entries=[entry]))
    r = api.client.get(
        f"/entities/{g['华盛电子']}/{page}", params={"as_of": DAY}, headers=api.headers("public")
    )
    assert r.status_code == 200
    text = compact(r.text)
    for secret in (zhang, old, PASSPORT):
        assert secret not in text, secret
    assert mask_person_id(zhang)[:4] in r.text
    full = api.client.get(
        f"/entities/{g['华盛电子']}/{page}",
        params={"as_of": DAY},
        headers=api.headers("investigator"),
    )
    assert spaced in full.text and hyphenated in full.text
