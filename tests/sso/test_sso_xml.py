"""Hardened XML: IdP metadata parsing, DTD/entity refusal, and the lxml/xmlsec wheel pairing."""

import pytest

from enterprise.sso.exceptions import InvalidMetadata, UnsafeXML
from enterprise.sso.safexml import parse_idp_metadata, parse_xml, split_certificates
from tests.fakes.saml_idp import SAMLIdP


@pytest.fixture(scope="module")
def idp():
    made = SAMLIdP("https://idp.initech.example.com/saml")
    yield made
    made.close()


def test_xmlsec_imports_and_signs_with_the_installed_lxml():
    """Guards the pairing of the lxml and xmlsec wheels (same libxml2): a mismatch fails here, not at login."""
    import xmlsec
    from lxml import etree

    from tests.fakes.saml_idp import make_key_pair

    certificate, key = make_key_pair("smoke")
    template = etree.fromstring(
        b'<root xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><data ID="d1">hello</data></root>'
    )
    signature = xmlsec.template.create(
        template, xmlsec.constants.TransformExclC14N, xmlsec.constants.TransformRsaSha256
    )
    template.append(signature)
    reference = xmlsec.template.add_reference(signature, xmlsec.constants.TransformSha256, uri="#d1")
    xmlsec.template.add_transform(reference, xmlsec.constants.TransformEnveloped)
    xmlsec.tree.add_ids(template, ["ID"])
    signer = xmlsec.SignatureContext()
    signer.key = xmlsec.Key.from_memory(key.encode(), xmlsec.constants.KeyDataFormatPem)
    signer.sign(signature)

    verifier = xmlsec.SignatureContext()
    verifier.key = xmlsec.Key.from_memory(certificate.encode(), xmlsec.constants.KeyDataFormatCertPem)
    verifier.verify(signature)
    template.find("data").text = "tampered"
    with pytest.raises(xmlsec.Error):
        verifier.verify(signature)


def test_idp_metadata_gives_entity_id_sso_url_and_certificate(idp):
    parsed = parse_idp_metadata(idp.metadata_xml())

    assert parsed.entity_id == "https://idp.initech.example.com/saml"
    assert parsed.sso_url == idp.sso_url
    assert split_certificates(parsed.certificate) == split_certificates(idp.certificate)


def test_an_aggregate_needs_the_entity_id(idp):
    other = SAMLIdP("https://idp.other.example.com/saml")
    try:
        inner = [doc.split("?>", 1)[-1] for doc in (idp.metadata_xml(), other.metadata_xml())]
        aggregate = '<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">' + "".join(inner)
        aggregate += "</md:EntitiesDescriptor>"
        with pytest.raises(InvalidMetadata, match="several identity providers"):
            parse_idp_metadata(aggregate)
        assert parse_idp_metadata(aggregate, entity_id=other.entity_id).sso_url == other.sso_url
        with pytest.raises(InvalidMetadata, match="no identity provider"):
            parse_idp_metadata(aggregate, entity_id="https://nobody.example.com")
    finally:
        other.close()


def test_metadata_with_an_external_entity_is_refused_without_reading_it(tmp_path, idp):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    body = idp.metadata_xml().split("?>", 1)[-1].replace(idp.sso_url, "&xxe;")
    hostile = f'<?xml version="1.0"?><!DOCTYPE md [<!ENTITY xxe SYSTEM "file://{secret}">]>{body}'

    with pytest.raises(UnsafeXML) as excinfo:
        parse_idp_metadata(hostile)
    assert "TOP-SECRET" not in str(excinfo.value)


def test_entity_expansion_is_refused():
    bomb = '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><x>&b;</x>'
    with pytest.raises(UnsafeXML):
        parse_xml(bomb)


def test_a_doctype_without_entities_is_refused_too():
    with pytest.raises(UnsafeXML):
        parse_xml('<!DOCTYPE x SYSTEM "http://attacker.example/x.dtd"><x/>')


def test_broken_or_incomplete_metadata_is_invalid():
    with pytest.raises(InvalidMetadata, match="well-formed"):
        parse_idp_metadata("<md:EntityDescriptor")
    no_sso = (
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x">'
        '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/>'
        "</md:EntityDescriptor>"
    )
    with pytest.raises(InvalidMetadata, match="SingleSignOnService"):
        parse_idp_metadata(no_sso)


def test_several_certificates_are_kept_for_key_rollover():
    from tests.fakes.saml_idp import make_key_pair

    first, second = make_key_pair("a")[0], make_key_pair("b")[0]

    assert len(split_certificates(first + second)) == 2
    assert split_certificates(split_certificates(first)[0]) == split_certificates(first)


# What python3-saml's OneLogin_Saml2_IdPMetadataParser does otherwise (decision 0536): these pin ours.

MD = 'xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#"'
PROTOCOL = 'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"'


def _idp_descriptor(entity_id: str, *, key_use: str = "signing") -> str:
    return (
        f'<md:EntityDescriptor entityID="{entity_id}"><md:IDPSSODescriptor {PROTOCOL}>'
        f'<md:KeyDescriptor use="{key_use}"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>MIIC AAAA'
        "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
        'Location="https://idp.example/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>'
    )


def test_an_aggregate_whose_first_entity_is_a_service_provider_gives_its_identity_provider():
    service_provider = f'<md:EntityDescriptor entityID="https://sp.example"><md:SPSSODescriptor {PROTOCOL}/>'
    aggregate = f"<md:EntitiesDescriptor {MD}>{service_provider}</md:EntityDescriptor>"
    aggregate += _idp_descriptor("https://idp.example") + "</md:EntitiesDescriptor>"

    parsed = parse_idp_metadata(aggregate)

    assert (parsed.entity_id, parsed.sso_url) == ("https://idp.example", "https://idp.example/sso")
    assert split_certificates(parsed.certificate) == ["MIICAAAA"]


def test_an_entity_id_with_a_quote_is_matched_as_text_not_as_an_xpath():
    quoted, other = _idp_descriptor("https://idp.example/o'brien"), _idp_descriptor("https://idp.example/other")
    aggregate = f"<md:EntitiesDescriptor {MD}>{quoted}{other}</md:EntitiesDescriptor>"

    assert parse_idp_metadata(aggregate, entity_id="https://idp.example/o'brien").entity_id.endswith("o'brien")
    with pytest.raises(InvalidMetadata, match="no identity provider"):
        parse_idp_metadata(aggregate, entity_id="x' or @entityID='https://idp.example/other")


def test_a_key_published_for_encryption_only_is_not_trusted_for_signatures():
    only_encryption = _idp_descriptor("https://idp.example", key_use="encryption").replace(
        "<md:EntityDescriptor ", f"<md:EntityDescriptor {MD} ", 1
    )

    with pytest.raises(InvalidMetadata, match="no signing certificate"):
        parse_idp_metadata(only_encryption)
