"""``POST /screenings`` with a bidder file (multipart) and file answers by
``Accept`` (DESIGN §6): XLSX, CSV, the printable report, the link map."""

from __future__ import annotations

import io

import openpyxl
from api_support import Api, assert_problem
from jsonschema import Draft202012Validator
from schemas import load_schema

from queries.screening_files import XLSX_MEDIA_TYPE

VALIDATOR = Draft202012Validator(load_schema("screening"))
DAY = "2025-06-01"


def upload(
    api: Api,
    text: str,
    *,
    accept: str | None = None,
    role: str = "admin",
    filename: str = "bidders.csv",
    lang: str | None = None,
    **fields: str,
) -> object:
    headers = api.headers(role) | ({"Accept": accept} if accept else {})
    return api.client.post(
        "/screenings" + (f"?lang={lang}" if lang else ""),
        headers=headers,
        files={"file": (filename, text.encode("utf-8"), "text/csv")},
        data={"as_of": DAY, **fields},
    )


def bidder_file(api: Api) -> str:
    g = api.graph
    return (
        "uscc,name,lot\n"
        f"{g['华盛电子']},,1\n{g['星辰科技']},,1\n,无代码,1\n"
        f"{g['东方贸易']},,2\n{g['华盛物流']},,2\n"
    )


def test_upload_screens_each_lot(api: Api) -> None:
    g = api.graph
    r = upload(api, bidder_file(api), scenario="government_procurement")
    assert r.status_code == 200, r.text
    data = r.json()
    assert (data["scenario"], data["as_of"]) == ("government_procurement", DAY)
    assert [lot["lot"] for lot in data["lots"]] == ["1", "2"]
    for lot in data["lots"]:
        assert not list(VALIDATOR.iter_errors(lot))
    first = data["lots"][0]
    assert [(b["uscc"], b["verdict"], b["line"]) for b in first["bidders"]] == [
        (g["华盛电子"], "reject", 2),
        (g["星辰科技"], "reject", 3),
        ("", "invalid", 4),
    ]
    linked = [r for r in first["bidders"][1]["reasons"] if r["code"] == "linked_bidder"]
    assert [(r["other"], r["rule"], r["citation"]) for r in linked] == [
        (g["华盛电子"], "same_principal", "GPLAW-IR:18.1")
    ]
    assert "法定代表人均为张伟" in linked[0]["explanation"]
    # lot 2 is screened on its own: no link to lot 1's bidders
    assert data["lots"][1]["links"] == []


def test_json_bodies_still_answer_json(api: Api) -> None:
    g = api.graph
    body = {"bidders": [g["华盛电子"], g["星辰科技"]], "as_of": DAY}
    r = api.post("/screenings", body)
    assert r.status_code == 200 and "lots" not in r.json()
    assert not list(VALIDATOR.iter_errors(r.json()))


def test_accept_xlsx_returns_the_workbook_masked_for_procurement(api: Api) -> None:
    g = api.graph
    r = upload(api, bidder_file(api), accept=XLSX_MEDIA_TYPE, role="procurement")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == XLSX_MEDIA_TYPE
    assert r.headers["content-disposition"].startswith("attachment; filename=")
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["bidders", "links"]
    bidders = [[c.value for c in row] for row in book["bidders"].iter_rows()]
    assert [row[3] for row in bidders] == ["verdict", "reject", "reject", "invalid", "review",
                                           "review"]  # fmt: skip
    cells = " ".join(str(c.value) for sheet in book for row in sheet.iter_rows() for c in row)
    assert "张伟" in cells and g["张伟"] not in cells  # names, never a person's id
    # a JSON body can ask for a file too
    body = {"bidders": [g["华盛电子"], g["星辰科技"]], "as_of": DAY}
    headers = api.headers("admin") | {"Accept": "text/csv"}
    r = api.client.post("/screenings", json=body, headers=headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.text.lstrip("\ufeff").splitlines()[0] == "lot,uscc,name,verdict,reasons,line"


def test_accept_html_and_svg(api: Api) -> None:
    r = upload(api, bidder_file(api), accept="text/html", lang="en")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "Bidder link screening report" in r.text and "<svg" in r.text
    r = upload(api, bidder_file(api), accept="image/svg+xml")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert r.text.startswith("<svg") and "华盛电子" in r.text and "<script" not in r.text


def test_bad_uploads_are_problems_never_500(api: Api) -> None:
    g = api.graph
    problem = assert_problem(upload(api, "code\n1\n", lang="en"), 422)
    assert "column uscc" in problem["detail"]
    too_many = "uscc\n" + "".join(f"91110000{n:09d}X\n" for n in range(51))
    assert "at most 50 per lot" in assert_problem(upload(api, too_many, lang="en"), 422)["detail"]
    assert_problem(upload(api, "\x00\xff garbage", filename="b.xlsx"), 422)
    assert_problem(upload(api, f"uscc\n{g['华盛电子']}\n", depth="9"), 422)
    assert_problem(upload(api, f"uscc\n{g['华盛电子']}\n", scenario="lottery"), 422)
    r = api.client.post(
        "/screenings", headers=api.headers("admin"), data={"as_of": DAY}, files={"x": ("a", b"")}
    )
    assert assert_problem(r, 422)["errors"][0]["loc"] == ["body", "file"]
    r = api.client.post(
        "/screenings",
        headers=api.headers("admin") | {"Content-Type": "text/plain"},
        content=b"hello",
    )
    assert_problem(r, 415)
    r = api.client.post(
        "/screenings",
        headers=api.headers("admin") | {"Content-Type": "application/json"},
        content=b"{not json",
    )
    assert_problem(r, 422)
    assert upload(api, bidder_file(api), role="public").status_code == 403
