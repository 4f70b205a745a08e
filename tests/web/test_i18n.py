"""English and Macedonian: every interface string translated, chosen per member or browser."""

from __future__ import annotations

from babel.messages.pofile import read_po

from slusha.web.i18n import negotiate
from tests.web.catalogue import PO, interface_strings
from tests.web.support import World


def test_every_interface_string_has_a_macedonian_translation() -> None:
    with PO.open("rb") as handle:
        catalogue = read_po(handle, locale="mk")
    strings = interface_strings()
    assert len(strings) > 100
    untranslated = [s for s in strings if not (catalogue.get(s) and catalogue.get(s).string)]
    assert untranslated == []
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert fuzzy == []


def test_browser_language_is_the_default_and_the_member_choice_wins(world: World) -> None:
    assert negotiate("mk-MK,mk;q=0.9,en;q=0.5") == "mk"
    assert negotiate("de,en;q=0.3") == "en"
    assert negotiate("mk", "en") == "en"
    client = world.client()
    assert "Најава" in client.get("/signin", headers={"Accept-Language": "mk"}).text
    assert "Sign in" in client.get("/signin", headers={"Accept-Language": "en"}).text
    member = world.client("care_viewer")
    member.post("/locale", data={"locale": "mk", "back": "/mentions"})
    page = member.get("/mentions", headers={"Accept-Language": "en"}).text
    assert "Спомнувања" in page and ">Mentions<" not in page and 'lang="mk"' in page
    assert _api_locale(world) == "mk"


def _api_locale(world: World) -> str:
    client = world.client()
    token = world.token("care_viewer")
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()["locale"]
