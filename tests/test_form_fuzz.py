"""Every form, fed hostile input, answers without a server error and keeps what was typed.

The forms are found, not listed: each GET page of the authorisation matrix is opened as a
persona allowed to use it, and every POST form on it is read from the HTML (its action and its
fields). Each form is then submitted with every typed field set to one awkward value at a time:
empty, 1 MB of text, NUL and control characters, right-to-left marks and emoji, huge and
non-finite numbers, dates at the bounds. Hidden fields and choices keep the page's own values.
A re-rendered form must show the typed text again, and 1 MB in a text field must be refused
with the plain length message ("Keep this to 2,000 characters or fewer (you typed 1,048,576).").
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
from django.urls import reverse

from tests.test_access_matrix import ROWS

MB = 1024 * 1024
VALUES = {
    "empty": "",
    "megabyte": "x" * MB,
    "nul": "a\x00b\x01c",
    "rtl_emoji": "\u202eRTL \u05e9\u05dc\u05d5\u05dd \U0001f600 end",
    "digits_400": "9" * 400,
    "float_max": "1e308",
    "minus_inf": "-inf",
    "nan": "NaN",
    "date_max": "9999-12-31",
    "date_min": "0001-01-01",
    "date_past_max": "10000-01-01",
}
TOO_LONG = f"characters or fewer (you typed {MB:,})."
TYPED = {"text", "textarea", "number", "date", "datetime-local", "email", "search", "tel", "url", "time", ""}
SKIP_ACTIONS = ("/accounts/logout/", "/admin/")
PREFERRED = ["rm", "ni", "quality", "deputy", "lead", "owner", "board", "viewer"]


class _Forms(HTMLParser):
    """POST forms on a page: action, and fields as (name, kind, value, options)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: dict | None = None
        self._textarea: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            if (a.get("method") or "get").lower() == "post":
                self._form = {
                    "action": a.get("action") or "",
                    "fields": [],
                    "multipart": "multipart" in (a.get("enctype") or ""),
                }
                self.forms.append(self._form)
            return
        if self._form is None or not a.get("name"):
            return
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                self._form["fields"].append(
                    {"name": a["name"], "kind": kind, "value": None, "option": a.get("value", "on")}
                )
                return
            self._form["fields"].append({"name": a["name"], "kind": kind, "value": a.get("value", "")})
        elif tag == "textarea":
            self._textarea = {"name": a["name"], "kind": "textarea", "value": ""}
            self._form["fields"].append(self._textarea)
        elif tag == "select":
            self._select = {"name": a["name"], "kind": "select", "value": None, "multiple": "multiple" in a}
            self._form["fields"].append(self._select)
        elif tag == "option" and self._select is not None and (self._select["value"] is None or "selected" in a):
            self._select["value"] = a.get("value", "")

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["value"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _persona(row) -> str:
    return next(p for p in PREFERRED if p in row.allowed)


def _data(form: dict, value_name: str) -> dict:
    value = VALUES[value_name]
    data: dict[str, list[str]] = {}
    typed = [f for f in form["fields"] if f["kind"] in TYPED]
    for f in form["fields"]:
        if f["kind"] in ("checkbox", "radio"):
            if f["value"] is not None:
                data.setdefault(f["name"], []).append(f["value"])
            elif f["kind"] == "radio" and f["name"] not in data:
                data[f["name"]] = [f["option"]]  # a choice is made, as a person would
            continue
        if f["kind"] in TYPED and (value_name != "megabyte" or f is typed[0]):
            data.setdefault(f["name"], []).append(value)
        elif f["value"] is not None:
            data.setdefault(f["name"], []).append(f["value"])
    return data


# Pages, not files or htmx fragments: downloads, exports, feeds and row partials carry no form.
NOT_PAGES = ("feed", "download", "export", "_row")
PAGES = [r for r in ROWS if r.method == "get" and r.scope != "public" and not any(n in r.name for n in NOT_PAGES)]


@pytest.mark.django_db
@pytest.mark.parametrize("row", PAGES, ids=lambda r: r.name)
def test_every_form_on_the_page_survives_hostile_input(row, world, client):
    client.force_login(world.users[_persona(row)])
    url = reverse(row.name, kwargs=row.kwargs(world, world.service))
    page = client.get(url)
    if page.status_code != 200 or "text/html" not in page.get("Content-Type", ""):
        pytest.skip(f"{url} answered {page.status_code}")
    parser = _Forms()
    parser.feed(page.content.decode())
    forms = [f for f in parser.forms if not f["action"].startswith(SKIP_ACTIONS)]
    problems = []
    for form in forms:
        action = urljoin(url, form["action"]) if form["action"] else url
        for value_name in VALUES:
            response = client.post(action, _data(form, value_name))
            if response.status_code == 409:
                # A stale form (an earlier value saved part of a draft and moved its version on):
                # refused as a conflict. Post again from the page as it now is, as a person would.
                fresh = _Forms()
                fresh.feed(client.get(url).content.decode())
                again = next((f for f in fresh.forms if f["action"] == form["action"]), None)
                if again is not None:
                    response = client.post(action, _data(again, value_name))
            if response.status_code >= 500:
                problems.append(f"{action} with {value_name}: {response.status_code}")
                continue
            typed = [f for f in form["fields"] if f["kind"] in ("text", "textarea", "")]
            first = next((f for f in form["fields"] if f["kind"] in TYPED), None)
            if value_name == "megabyte" and first is not None and first["kind"] in ("text", "textarea", ""):
                # Every text field has a bound (core.limits): 1 MB is refused with a plain message
                # (on the re-rendered form, or for a row's button form on the page it returns to;
                # a redirect elsewhere means an earlier value moved the object on, e.g. decided it).
                if response.status_code == 302 and urljoin(url, response.url) == url:
                    response = client.get(response.url)
                moved_on = response.status_code == 302
                if not moved_on and (
                    response.status_code not in (200, 400, 422) or TOO_LONG not in response.content.decode()
                ):
                    problems.append(
                        f"{action} with {value_name} in {first['name']}: {response.status_code} without “{TOO_LONG}”"
                    )
            if value_name == "rtl_emoji" and response.status_code in (200, 400, 422) and typed:
                body = response.content.decode()
                if "<form" in body and VALUES["rtl_emoji"] not in body:
                    problems.append(f"{action} with {value_name}: the typed text is not on the re-rendered form")
    assert not problems, "\n".join(problems)
