"""Transports: the protocol plumbing shared by every channel and connector of a protocol.

Built on ``enterprise.transports`` (the one retry policy, the rate limit per remote account, the
HTTP client with mandatory timeouts, the one OAuth 2 token store; decision 0181):
``base.ChannelClient`` is what the framework calls (and ``failed`` / ``succeeded`` build the
per-record outcomes); ``http.HttpTransport`` binds the HTTP client to a configuration with the
framework's typed errors and redaction; ``oauth2.OAuth2ClientCredentialsTransport`` adds the
token flow; ``soap.SoapTransport`` is zeep with the WS-Security header (``soap.WSSecurity``);
``sftp`` the file drops. A channel's client subclasses one of them and only maps records.
"""
