"""Organisation signing keys (Ed25519, RFC 8032) for lot chains."""

from __future__ import annotations

import base64
import secrets

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from traceability.models import OrganisationKey

_RAW = serialization.Encoding.Raw


def for_organisation(org_id: int) -> OrganisationKey:
    """The organisation's key, created on first use."""
    key = OrganisationKey.objects.filter(organisation_id=org_id).first()
    if key is not None:
        return key
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes(
        _RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    public = private.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
    return OrganisationKey.objects.create(
        organisation_id=org_id,
        key_id=secrets.token_hex(8),
        private_key=seed,
        public_key=public,
    )


def sign(key: OrganisationKey, link: str) -> str:
    private = Ed25519PrivateKey.from_private_bytes(bytes(key.private_key))
    return base64.b64encode(private.sign(link.encode())).decode()


def verify(key_id: str, link: str, signature: str) -> bool:
    key = OrganisationKey.objects.filter(key_id=key_id).first()
    if key is None:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(bytes(key.public_key)).verify(
            base64.b64decode(signature), link.encode()
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def public_key_b64(key: OrganisationKey) -> str:
    return base64.b64encode(bytes(key.public_key)).decode()
