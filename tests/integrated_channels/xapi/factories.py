"""Factories of the xAPI tests."""

from __future__ import annotations

import factory

from integrated_channels.xapi import paths
from integrated_channels.xapi.models import XAPIConfiguration, XAPIImportConfiguration, XAPIImportMapping
from tests.factories import CustomerFactory

IRI_BASE = "https://lms.example.com/courses/"


class XAPIConfigurationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = XAPIConfiguration

    customer = factory.SubFactory(CustomerFactory)
    active = True
    endpoint = "http://127.0.0.1:9/xAPI/statements"
    key = "lrs-key"
    secret = "lrs-secret-value"
    activity_iri_base = IRI_BASE
    enrollments_per_call = 50


# ralph is a real server in another process: on a loaded machine (a parallel suite on 2 cores) an
# answer can take longer than the channel tests' 2 s, and a retried call breaks the call counts;
# the ``lrs`` fixture reads with this timeout instead.
LRS_READ_TIMEOUT = 30


def lrs_config(lrs, **kwargs) -> XAPIConfiguration:
    values = {"endpoint": lrs.statements_url, "key": lrs.key, "secret": lrs.secret}
    values.update(kwargs)
    return XAPIConfigurationFactory(**values)


DEFAULT_COLUMNS = {
    paths.ACTOR_MBOX: ("Learner", paths.STRING),
    paths.VERB_ID: ("Verb", paths.STRING),
    paths.OBJECT_ID: ("Activity", paths.STRING),
}


def import_from(server, *, customer=None, mapping=None, **kwargs) -> XAPIImportConfiguration:
    """An active import of ``server``'s ``import/xapi.csv`` (password auth), with ``mapping`` {path: (column, type)}."""
    values = {
        "name": "LMS statements",
        "active": True,
        "host": server.host,
        "port": server.port,
        "username": server.username,
        "password": server.password,
        "host_key_fingerprint": server.fingerprint,
        "source_file": "import/xapi.csv",
    }
    values.update(kwargs)
    if customer is not None:
        values["customer"] = customer
    else:
        values["customer"] = CustomerFactory()
    configuration = XAPIImportConfiguration.objects.create(**values)
    for path, (column, value_type) in (mapping or DEFAULT_COLUMNS).items():
        XAPIImportMapping.objects.create(configuration=configuration, path=path, column=column, value_type=value_type)
    return configuration
