"""Hardened XML parsing for SAML: no DTD, no entities, no network, no huge trees.

lxml is told not to resolve entities, load DTDs or reach the network, and any document that
declares a DOCTYPE is refused outright, so neither external entities (XXE) nor entity expansion
("billion laughs") can take effect. Used for IdP metadata and, before python3-saml (which applies
the same rule) sees it, for every SAML response.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from enterprise.sso.exceptions import InvalidMetadata, UnsafeXML

NS = {
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
}
BINDING_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
BINDING_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
MAX_BYTES = 2 * 1024 * 1024


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        dtd_validation=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(data: str | bytes) -> etree._Element:
    """Parse ``data`` or raise ``UnsafeXML`` (DTD/entities) / ``InvalidMetadata``-style ``ValueError``."""
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > MAX_BYTES:
        raise UnsafeXML(f"The XML document is larger than {MAX_BYTES} bytes.")
    if _DOCTYPE.search(raw):
        raise UnsafeXML()
    try:
        root = etree.fromstring(raw, _parser())
    except etree.XMLSyntaxError as exc:
        raise InvalidMetadata(f"Not well-formed XML: {exc}") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise UnsafeXML()
    return root


def assert_safe_xml(data: str | bytes) -> None:
    parse_xml(data)


def normalise_certificate(text: str) -> str:
    """The base64 body of a PEM or bare certificate, without headers or whitespace."""
    body = re.sub(r"-----(BEGIN|END) CERTIFICATE-----", "", text or "")
    return "".join(body.split())


def split_certificates(text: str) -> list[str]:
    """The certificates of a field holding one or more PEM blocks (or one bare base64 body)."""
    blocks = re.findall(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", text or "", re.S)
    if not blocks:
        blocks = [text] if (text or "").strip() else []
    return [normalise_certificate(block) for block in blocks]


def to_pem(body: str) -> str:
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


@dataclass(frozen=True)
class IdPMetadata:
    entity_id: str
    sso_url: str
    certificate: str  # one or more PEM blocks


def parse_idp_metadata(xml: str | bytes, *, entity_id: str | None = None) -> IdPMetadata:
    """Entity id, SSO URL (HTTP-Redirect preferred, else HTTP-POST) and signing certificates of an IdP.

    An aggregate (``EntitiesDescriptor``) holding several IdPs needs ``entity_id`` to choose one.
    """
    root = parse_xml(xml)
    descriptors = [
        node
        for node in root.iter(f"{{{NS['md']}}}EntityDescriptor")
        if node.find("md:IDPSSODescriptor", NS) is not None
    ]
    if entity_id:
        descriptors = [node for node in descriptors if node.get("entityID") == entity_id] or descriptors[:0]
    if not descriptors:
        raise InvalidMetadata(
            "The metadata describes no identity provider" + (f" with entity id {entity_id!r}." if entity_id else ".")
        )
    if len(descriptors) > 1:
        ids = ", ".join(node.get("entityID", "?") for node in descriptors)
        raise InvalidMetadata(f"The metadata describes several identity providers ({ids}); enter the entity id.")
    node = descriptors[0]
    idp = node.find("md:IDPSSODescriptor", NS)
    services = {s.get("Binding"): s.get("Location") for s in idp.findall("md:SingleSignOnService", NS)}
    sso_url = services.get(BINDING_REDIRECT) or services.get(BINDING_POST)
    if not sso_url:
        raise InvalidMetadata("The identity provider has no HTTP-Redirect or HTTP-POST SingleSignOnService.")
    certificates = [
        normalise_certificate(cert.text or "")
        for key in idp.findall("md:KeyDescriptor", NS)
        if key.get("use") in (None, "signing")
        for cert in key.findall(".//ds:X509Certificate", NS)
    ]
    certificates = [c for c in dict.fromkeys(certificates) if c]
    if not certificates:
        raise InvalidMetadata("The identity provider publishes no signing certificate.")
    return IdPMetadata(
        entity_id=node.get("entityID"), sso_url=sso_url, certificate="".join(to_pem(c) for c in certificates)
    )
