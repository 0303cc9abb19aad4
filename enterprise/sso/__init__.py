"""SAML single sign-on: learners of a customer sign in through the customer's identity provider.

The app is a SAML 2.0 service provider built on python3-saml. Each
``enterprise.EnterpriseCustomerIdentityProvider`` may have one SAML configuration here; a
successful sign-in links the user to that identity provider's customer and records their remote
id (``enterprise.LearnerRemoteIdentity``), which channels such as SAP SuccessFactors use.
Add ``"enterprise.sso"`` to ``INSTALLED_APPS`` and ``path("sso/", include("enterprise.sso.urls"))``
to the URLconf.
"""
