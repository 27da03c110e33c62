"""Per-lot hash chain with Ed25519 signatures: every kind of tampering is located."""

from __future__ import annotations

import copy
import dataclasses

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from traceability import chain
from traceability.epcis_hash import event_hash_id

LOT = 42


def _event(n: int) -> dict:
    return {
        "type": "ObjectEvent",
        "eventTime": f"2026-05-0{n}T08:00:00.000Z",
        "eventTimeZoneOffset": "+08:00",
        "action": "OBSERVE",
        "bizStep": "inspecting",
        "quantityList": [{"epcClass": "urn:agrimon:lot:X", "quantity": n, "uom": "KGM"}],
    }


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def keys(key):
    return {"org-1": key.public_key()}


@pytest.fixture
def links(key) -> list[chain.ChainLink]:
    out: list[chain.ChainLink] = []
    for n in range(1, 6):
        ev = _event(n)
        out.append(chain.append(LOT, out, event_hash_id(ev), key, "org-1", ev))
    return out


def _verify(links, keys):
    return chain.verify_chain(LOT, links, keys, rehash=event_hash_id)


def test_untouched_chain_verifies(links, keys):
    assert _verify(links, keys) == chain.ChainReport(True, 5)


def test_genesis_differs_per_lot():
    assert chain.genesis(1) != chain.genesis(2)


def test_link_depends_on_every_input():
    base = chain.next_link(chain.genesis(1), "h", 1)
    assert base != chain.next_link(chain.genesis(2), "h", 1)
    assert base != chain.next_link(chain.genesis(1), "g", 1)
    assert base != chain.next_link(chain.genesis(1), "h", 2)


def test_next_link_rejects_a_malformed_previous_link():
    with pytest.raises(ValueError):
        chain.next_link("abcd", "h", 1)


def test_edited_event_is_reported_at_its_sequence(links, keys):
    edited = copy.deepcopy(dict(links[2].event))
    edited["quantityList"][0]["quantity"] = 999
    links[2] = dataclasses.replace(links[2], event=edited)
    report = _verify(links, keys)
    assert (report.ok, report.first_broken_seq, report.problem) == (
        False,
        3,
        "event content changed",
    )


def test_edited_event_with_recomputed_hash_breaks_the_link(links, keys):
    edited = {**links[1].event, "bizStep": "shipping"}
    links[1] = dataclasses.replace(links[1], event=edited, event_hash=event_hash_id(edited))
    report = _verify(links, keys)
    assert (report.first_broken_seq, report.problem) == (2, "link does not match its event")


def test_relinked_forgery_fails_the_signature(links, keys):
    edited = {**links[1].event, "bizStep": "shipping"}
    h = event_hash_id(edited)
    link = chain.next_link(links[1].prev_link, h, 2)
    links[1] = dataclasses.replace(links[1], event=edited, event_hash=h, link=link)
    report = _verify(links, keys)
    assert (report.first_broken_seq, report.problem) == (2, "signature invalid")


def test_deleted_event_is_reported_as_missing(links, keys):
    del links[1]
    report = _verify(links, keys)
    assert (report.first_broken_seq, report.problem) == (2, "event 2 missing")


def test_deleted_last_event_with_renumbering_breaks_previous_link(links, keys):
    del links[1]
    links[1:] = [dataclasses.replace(x, seq=x.seq - 1) for x in links[1:]]
    report = _verify(links, keys)
    assert (report.ok, report.first_broken_seq) == (False, 2)


def test_reordered_events_are_reported(links, keys):
    links[1], links[2] = links[2], links[1]
    report = _verify(links, keys)
    assert (report.first_broken_seq, report.problem) == (2, "event 3 out of order")


def test_chain_signed_with_another_key_fails(links):
    other = {"org-1": Ed25519PrivateKey.generate().public_key()}
    report = _verify(links, other)
    assert (report.first_broken_seq, report.problem) == (1, "signature invalid")


def test_unknown_key_id_is_reported(links):
    report = _verify(links, {})
    assert (report.first_broken_seq, report.problem) == (1, "unknown key org-1")


def test_chain_moved_to_another_lot_fails(links, keys):
    report = chain.verify_chain(LOT + 1, links, keys, rehash=event_hash_id)
    assert (report.first_broken_seq, report.problem) == (1, "previous link does not match")


def test_garbage_signature_is_invalid_not_an_error(links, keys):
    links[0] = dataclasses.replace(links[0], signature="not base64!")
    assert _verify(links, keys).problem == "signature invalid"


def test_verification_without_events_checks_links_and_signatures_only(links, keys):
    bare = [dataclasses.replace(x, event=None) for x in links]
    assert chain.verify_chain(LOT, bare, keys).ok
    assert _verify(bare, keys).problem == "event content missing"


def test_document_digest_sees_edits_the_event_hash_normalises_away():
    original = {**_event(1), "agrimon:registrationNo": "007"}
    edited = {**_event(1), "agrimon:registrationNo": "7"}
    assert event_hash_id(original) == event_hash_id(edited)
    assert chain.document_digest(original) != chain.document_digest(edited)


def test_document_digest_ignores_key_order():
    event = _event(2)
    assert chain.document_digest(dict(reversed(list(event.items())))) == chain.document_digest(
        event
    )
