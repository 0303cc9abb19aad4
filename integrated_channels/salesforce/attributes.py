"""The Salesforce fields offered in the mapping screen, and the SOQL that reads them.

Users and Contacts have their standard fields below; a custom field (``Region__c``) or a field of a
related record (``Account.Name``, ``Manager.Email``) may be mapped too, by its API name: the org's
answer says whether it exists. The manager is the user's ``Manager`` (``Manager.Email``) or the
contact's ``ReportsTo`` (``ReportsTo.Email``): the manager filter needs it mapped, as the seed's
"the manager field must be mapped to a field of type email address".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

USER_FIELDS = (
    "Id",
    "Username",
    "Email",
    "FirstName",
    "LastName",
    "Name",
    "Title",
    "Department",
    "Division",
    "CompanyName",
    "EmployeeNumber",
    "FederationIdentifier",
    "Alias",
    "City",
    "State",
    "Country",
    "PostalCode",
    "Phone",
    "MobilePhone",
    "IsActive",
    "UserType",
    "LanguageLocaleKey",
    "LocaleSidKey",
    "TimeZoneSidKey",
    "ManagerId",
    "Manager.Email",
    "Manager.Name",
)
CONTACT_FIELDS = (
    "Id",
    "Email",
    "FirstName",
    "LastName",
    "Name",
    "Title",
    "Department",
    "Phone",
    "MobilePhone",
    "MailingCity",
    "MailingState",
    "MailingCountry",
    "MailingPostalCode",
    "LeadSource",
    "AccountId",
    "Account.Name",
    "ReportsToId",
    "ReportsTo.Email",
    "ReportsTo.Name",
)
ATTRIBUTES = tuple(dict.fromkeys((*USER_FIELDS, *CONTACT_FIELDS)))
DEFAULT_MAPPING = {"email": "Email", "first_name": "FirstName", "last_name": "LastName"}
#: An API name, optionally through one relationship: ``Email``, ``Region__c``, ``Account.Name``, ``Owner__r.Email``.
FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,79}(\.[A-Za-z][A-Za-z0-9_]{0,79})?$")


def soql(sobject: str, columns: Iterable[str], *, where: list[str]) -> str:
    fields = sorted({"Id", *columns})
    bad = [name for name in fields if not FIELD.match(name)]
    if bad:  # the mapping is checked when saved; never build SOQL from anything else
        raise ValueError(f"Not Salesforce field names: {', '.join(bad)}.")
    query = f"SELECT {', '.join(fields)} FROM {sobject}"  # noqa: S608 (SOQL: names checked by FIELD, values quoted)
    if where:
        query += " WHERE " + " AND ".join(where)
    return query
