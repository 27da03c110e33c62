"""Per-lot hash chain of events, signed with Ed25519 (RFC 8032).

``link_i = SHA-256(link_{i-1} || event_hash_i || seq_i)`` where ``link_0`` (the
genesis) is bound to the lot id, so a chain cannot be moved to another lot.
The previous link is 32 raw bytes and the sequence number 8 big-endian bytes,
so the variable-length event hash in between is framed unambiguously.

A hash chain alone proves nothing against someone who can rewrite the table
(they recompute every link), hence each link is signed with the
organisation's key; the public key is what an inspector trusts.

Everything here is plain data so the rows can live in any store.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

GENESIS_DOMAIN = b"agrimon/lot-chain/v1\x00"


@dataclass(frozen=True)
class ChainLink:
    """One stored event of a lot's chain."""

    seq: int
    event_hash: str
    prev_link: str
    link: str
    signature: str  # base64 Ed25519 signature of the link's hex text
    key_id: str
    event: Mapping | None = None  # the event itself, when its hash is to be recomputed


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events: int
    first_broken_seq: int | None = None
    problem: str = ""


def genesis(lot_id: int | str) -> str:
    """The link before the first event: binds the chain to this lot."""
    return hashlib.sha256(GENESIS_DOMAIN + str(lot_id).encode()).hexdigest()


def next_link(prev_link: str, event_hash: str, seq: int) -> str:
    """``SHA-256(prev_link || event_hash || seq)`` as hex."""
    if seq < 1:
        raise ValueError(f"sequence numbers start at 1, got {seq}")
    prev = bytes.fromhex(prev_link)
    if len(prev) != 32:
        raise ValueError("previous link must be a SHA-256 hex digest")
    data = prev + event_hash.encode() + seq.to_bytes(8, "big")
    return hashlib.sha256(data).hexdigest()


def document_digest(event: Mapping) -> str:
    """SHA-256 of the event's exact JSON (sorted keys, no insignificant whitespace).

    The CBV Event Hash ID deliberately treats some different values as equal (numbers
    lose leading and trailing zeros, values are trimmed), so ``"007"`` and ``"7"`` in an
    extension field hash alike. Chaining this digest as well closes that gap for our own
    stored rows; keep the Event Hash ID for interchange with partners.
    """
    text = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def sign_link(private_key: Ed25519PrivateKey, link: str) -> str:
    return base64.b64encode(private_key.sign(link.encode())).decode()


def link_signature_ok(public_key: Ed25519PublicKey, link: str, signature: str) -> bool:
    try:
        public_key.verify(base64.b64decode(signature, validate=True), link.encode())
    except (InvalidSignature, ValueError):
        return False
    return True


def append(
    lot_id: int | str,
    chain: Sequence[ChainLink],
    event_hash: str,
    private_key: Ed25519PrivateKey,
    key_id: str,
    event: Mapping | None = None,
) -> ChainLink:
    """The next link after ``chain`` (which may be empty) for an event with ``event_hash``."""
    prev = chain[-1].link if chain else genesis(lot_id)
    seq = chain[-1].seq + 1 if chain else 1
    link = next_link(prev, event_hash, seq)
    return ChainLink(seq, event_hash, prev, link, sign_link(private_key, link), key_id, event)


def verify_chain(
    lot_id: int | str,
    chain: Sequence[ChainLink],
    public_keys: Mapping[str, Ed25519PublicKey],
    rehash: Callable[[Mapping], str] | None = None,
) -> ChainReport:
    """Recompute the lot's chain in stored order and report the first link that fails.

    ``chain`` is in storage order (by sequence number). With ``rehash`` (e.g.
    ``epcis_hash.event_hash_id``) each event's hash is recomputed from the event
    itself, which is what detects an edited row. A deleted or reordered event shows
    up as a gap in the sequence or a previous-link mismatch; a wrong or unknown key
    as a failed signature.
    """
    prev = genesis(lot_id)
    for expected_seq, entry in enumerate(chain, start=1):
        if entry.seq != expected_seq:
            later = [e.seq for e in chain[expected_seq:]]
            if expected_seq in later or entry.seq < expected_seq:
                problem = f"event {entry.seq} out of order"
            else:
                problem = f"event {expected_seq} missing"
            return ChainReport(False, len(chain), expected_seq, problem)
        if rehash is not None:
            if entry.event is None:
                return ChainReport(False, len(chain), entry.seq, "event content missing")
            if rehash(entry.event) != entry.event_hash:
                return ChainReport(False, len(chain), entry.seq, "event content changed")
        if entry.prev_link != prev:
            return ChainReport(False, len(chain), entry.seq, "previous link does not match")
        if next_link(prev, entry.event_hash, entry.seq) != entry.link:
            return ChainReport(False, len(chain), entry.seq, "link does not match its event")
        key = public_keys.get(entry.key_id)
        if key is None:
            return ChainReport(False, len(chain), entry.seq, f"unknown key {entry.key_id}")
        if not link_signature_ok(key, entry.link, entry.signature):
            return ChainReport(False, len(chain), entry.seq, "signature invalid")
        prev = entry.link
    return ChainReport(True, len(chain))
