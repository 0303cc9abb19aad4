"""Packaging for the enterprise learner-management apps.

``pip install .`` gives the ``enterprise``, ``consent`` and ``integrated_channels`` packages,
ready to be added to any Django project's ``INSTALLED_APPS``. The ``standalone`` host project,
the tests and the benchmarks are not part of the distribution.

Each connector's third-party libraries are an extra (``pip install 'enterprise-learners[sftp]'``,
``[learningstudio]``, ``[xapi]``, or ``[all]``); the core installs without them, and
``manage.py check`` names the missing extra of an installed connector app (the ``extra`` of its
registry entry must be a key of ``EXTRAS``).
"""

import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).resolve().parent


def read_version():
    text = (HERE / "enterprise" / "__init__.py").read_text(encoding="utf-8")
    return re.search(r'^__version__ = "([^"]+)"', text, re.M).group(1)


def read_requirements(name):
    """Return the abstract requirements of requirements/<name>.in (comments stripped)."""
    lines = (HERE / "requirements" / name).read_text(encoding="utf-8").splitlines()
    return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]


# The connectors' libraries, one extra per connector app (requirements/standalone.txt pins them for the host).
EXTRAS = {
    "sftp": ["asyncssh>=2.14"],
    "xapi": ["asyncssh>=2.14"],  # the xAPI statement import reads its file over SFTP
    "learningstudio": ["zeep>=4.2", "lxml>=5.2"],
    "scim": ["scim2-models>=0.12.3,<0.13"],  # the SCIM 2.0 endpoint's payloads, PATCH and filters
    "workday": ["zeep>=4.2", "lxml>=5.2"],  # Get_Workers over SOAP
    "harvard_managementor": ["asyncssh>=2.14"],  # its files arrive on the customer's SFTP drop
    "getabstract": ["asyncssh>=2.14", "openpyxl>=3.1"],  # xlsx feeds on the customer's SFTP drop
    "classroom": ["icalendar>=6.0", "lxml>=5.2"],  # virtual classrooms: iCalendar invitations, Adobe Connect XML
    "adobe_commerce": ["oauthlib>=3.2"],  # OAuth 1.0a request signing of the Commerce integration
    "linkedin_learning": ["msgspec>=0.18"],  # its answers read for their paging without building the elements
}
EXTRAS["all"] = sorted({requirement for requirements in EXTRAS.values() for requirement in requirements})

setup(
    name="enterprise-learners",
    version=read_version(),
    description="Enterprise learner management for Django learning platforms",
    long_description=(HERE / "README.rst").read_text(encoding="utf-8"),
    long_description_content_type="text/x-rst",
    license="AGPL-3.0-or-later",
    packages=find_packages(include=["enterprise*", "consent*", "integrated_channels*"]),
    include_package_data=True,
    python_requires=">=3.11",
    install_requires=read_requirements("base.in"),
    extras_require=EXTRAS,
    classifiers=[
        "Framework :: Django",
        "Framework :: Django :: 5.2",
        "Framework :: Django :: 6.1",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
    ],
)
