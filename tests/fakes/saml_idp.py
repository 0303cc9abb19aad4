"""A real SAML identity provider for the tests: pysaml2's ``Server``, signing with a test key.

pysaml2 builds the responses (Response, Assertion, Conditions, SubjectConfirmation, attributes,
signature templates) from the SP metadata this project serves and the AuthnRequests it sends.
Its stock signer shells out to the ``xmlsec1`` binary; ``XmlSecModuleBackend`` signs the same
templates in-process with the ``xmlsec`` Python binding (libxmlsec1, already a dependency of
python3-saml), so the tests need no system binary. ``crypto="xmlsec1"`` uses the stock backend
where the binary is installed (see ``XMLSEC1``).
"""

from __future__ import annotations

import base64
import datetime
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree

with warnings.catch_warnings():  # pysaml2 names a cipher mode cryptography has moved (not used here)
    warnings.simplefilter("ignore", DeprecationWarning)
    warnings.filterwarnings("ignore", message=".*CFB.*")
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
    from saml2.assertion import Policy
    from saml2.config import IdPConfig
    from saml2.metadata import create_metadata_string
    from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID
    from saml2.server import Server
    from saml2.sigver import CryptoBackend, SignatureError

XMLSEC1 = shutil.which("xmlsec1")
MAIL = "urn:oid:0.9.2342.19200300.100.1.3"
GIVEN_NAME = "urn:oid:2.5.4.42"
SURNAME = "urn:oid:2.5.4.4"
SAP_USER_ID = "urn:example:sap:userID"


def make_key_pair(common_name: str, *, key_size: int = 2048) -> tuple[str, str]:
    """(PEM certificate, PEM private key), self-signed, valid for a day."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return (
        cert.public_bytes(serialization.Encoding.PEM).decode(),
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        ).decode(),
    )


class XmlSecModuleBackend(CryptoBackend):
    """pysaml2 crypto backend that fills pysaml2's signature templates with python-xmlsec."""

    @property
    def version(self):
        return "1.3.0"

    def sign_statement(self, statement, node_name, key_file, node_id):
        data = statement if isinstance(statement, bytes) else str(statement).encode()
        root = etree.fromstring(data)
        xmlsec.tree.add_ids(root, ["ID"])
        node = root if root.get("ID") == node_id else root.find(f".//*[@ID='{node_id}']")
        signature = xmlsec.tree.find_child(node, xmlsec.constants.NodeSignature, xmlsec.constants.DSigNs)
        if signature is None:
            raise SignatureError(f"No signature template in node {node_id}")
        ctx = xmlsec.SignatureContext()
        ctx.key = xmlsec.Key.from_file(key_file, xmlsec.constants.KeyDataFormatPem)
        ctx.sign(signature)
        return etree.tostring(root).decode()


@dataclass(frozen=True)
class AuthnRequestInfo:
    request_id: str
    issuer: str
    acs_url: str
    relay_state: str


class SAMLIdP:
    """One identity provider with its own key; ``response()`` answers as a browser would post it."""

    def __init__(self, entity_id: str, *, sso_url: str | None = None, crypto: str = "xmlsec-module"):
        self.entity_id = entity_id
        self.sso_url = sso_url or entity_id.rstrip("/") + "/sso/redirect"
        self.crypto = crypto
        self.certificate, self.private_key = make_key_pair(entity_id[:60])
        self._dir = Path(tempfile.mkdtemp(prefix="saml-idp-"))
        (self._dir / "idp.crt").write_text(self.certificate)
        (self._dir / "idp.key").write_text(self.private_key)
        self.server: Server | None = None

    def close(self):
        shutil.rmtree(self._dir, ignore_errors=True)

    def _config(self, sp_metadata: list[str]) -> IdPConfig:
        conf = {
            "entityid": self.entity_id,
            "service": {
                "idp": {
                    "endpoints": {"single_sign_on_service": [(self.sso_url, BINDING_HTTP_REDIRECT)]},
                    "policy": {"default": self.policy_dict()},
                    "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                    "want_authn_requests_signed": False,
                }
            },
            "key_file": str(self._dir / "idp.key"),
            "cert_file": str(self._dir / "idp.crt"),
            "metadata": {"inline": sp_metadata},
            "crypto_backend": "xmlsec1" if self.crypto == "xmlsec1" else "XMLSecurity",
        }
        if self.crypto == "xmlsec1":
            conf["xmlsec_binary"] = XMLSEC1
        config = IdPConfig()
        config.load(conf)
        return config

    @staticmethod
    def policy_dict(lifetime_minutes: int = 15) -> dict:
        return {"lifetime": {"minutes": lifetime_minutes}, "attribute_restrictions": None, "name_form": NAME_FORMAT_URI}

    def trust_sp(self, *sp_metadata: str) -> None:
        """Load the service providers' metadata (as served by the project's metadata endpoint)."""
        self.server = Server(config=self._config(list(sp_metadata)))
        if self.crypto != "xmlsec1":
            self.server.sec.crypto = XmlSecModuleBackend()

    def metadata_xml(self) -> str:
        config = self._config([])
        return create_metadata_string(None, config=config, valid=24, sign=False).decode()

    def read_authn_request(self, redirect_url: str) -> AuthnRequestInfo:
        """Decode the AuthnRequest of an HTTP-Redirect URL the SP sent the browser to."""
        query = parse_qs(urlsplit(redirect_url).query)
        parsed = self.server.parse_authn_request(query["SAMLRequest"][0], BINDING_HTTP_REDIRECT)
        message = parsed.message
        return AuthnRequestInfo(
            request_id=message.id,
            issuer=message.issuer.text,
            acs_url=message.assertion_consumer_service_url,
            relay_state=query.get("RelayState", [""])[0],
        )

    def response(
        self,
        *,
        sp_entity_id: str,
        acs_url: str,
        in_response_to: str | None,
        name_id: str,
        attributes: dict[str, list[str] | str],
        sign_response: bool = True,
        sign_assertion: bool = True,
        lifetime_minutes: int = 15,
        audience: str | None = None,
    ) -> str:
        """A base64 SAMLResponse for the HTTP-POST binding. ``audience`` overrides the SP entity id
        the assertion is restricted to (to forge a wrong audience)."""
        identity = {name: value if isinstance(value, list) else [value] for name, value in attributes.items()}
        policy = Policy({"default": self.policy_dict(lifetime_minutes)}, mds=self.server.metadata)
        response = self.server.create_authn_response(
            identity,
            in_response_to,
            acs_url,
            audience or sp_entity_id,
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, sp_name_qualifier=sp_entity_id, text=name_id),
            authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"},
            sign_response=sign_response,
            sign_assertion=sign_assertion,
            release_policy=policy,
            sign_alg="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            digest_alg="http://www.w3.org/2001/04/xmlenc#sha256",
        )
        return base64.b64encode(str(response).encode()).decode()


__all__ = ["BINDING_HTTP_POST", "GIVEN_NAME", "MAIL", "SAP_USER_ID", "SURNAME", "XMLSEC1", "SAMLIdP", "make_key_pair"]
