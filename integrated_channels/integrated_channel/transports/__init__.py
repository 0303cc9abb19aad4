"""Transports: the protocol plumbing shared by every channel of a protocol.

``base.ChannelClient`` is what the framework calls; ``http.HttpTransport`` adds the session,
timeouts, rate limit, retries honouring Retry-After, error wrapping and redaction;
``oauth2.OAuth2ClientCredentialsTransport`` adds the token flow. A channel's client subclasses
one of them and only maps records to requests.
"""
