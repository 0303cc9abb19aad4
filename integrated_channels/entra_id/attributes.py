"""The user attributes the Entra ID connector offers in the mapping screen.

Properties of the Microsoft Graph v1.0 ``user`` entity (its CSDL; tests/fakes/graph.py checks
every one against it) that a list of users returns: text, true/false, dates, lists of text
(joined with commas), two complex ones read by their parts (``employeeOrgData.costCenter``,
``onPremisesExtensionAttributes.extensionAttribute1`` …), and the manager's through
``$expand=manager``. Left out: what Graph returns only for one user at a time (aboutMe,
birthday, hireDate, interests, mySite, pastProjects, preferredName, responsibilities, schools,
skills, mailboxSettings) and licence, plan and sign-in records.
"""

from __future__ import annotations

USER_PROPERTIES = (
    "id",
    "userPrincipalName",
    "mail",
    "displayName",
    "givenName",
    "surname",
    "jobTitle",
    "department",
    "companyName",
    "employeeId",
    "employeeType",
    "employeeHireDate",
    "employeeLeaveDateTime",
    "officeLocation",
    "streetAddress",
    "city",
    "state",
    "postalCode",
    "country",
    "usageLocation",
    "preferredLanguage",
    "mobilePhone",
    "businessPhones",
    "faxNumber",
    "mailNickname",
    "otherMails",
    "proxyAddresses",
    "imAddresses",
    "accountEnabled",
    "userType",
    "ageGroup",
    "createdDateTime",
    "creationType",
    "externalUserState",
    "onPremisesSamAccountName",
    "onPremisesUserPrincipalName",
    "onPremisesDomainName",
    "onPremisesImmutableId",
    "onPremisesDistinguishedName",
    "onPremisesSecurityIdentifier",
    "onPremisesSyncEnabled",
    "securityIdentifier",
    "showInAddressList",
)
#: Complex properties selected whole and read by their parts.
COMPLEX = {
    "employeeOrgData": ("costCenter", "division"),
    "onPremisesExtensionAttributes": tuple(f"extensionAttribute{n}" for n in range(1, 16)),
}
#: The manager's properties, read through ``$expand=manager($select=…)``.
MANAGER_PROPERTIES = ("id", "mail", "userPrincipalName", "displayName", "employeeId")

ATTRIBUTES = (
    *USER_PROPERTIES,
    *(f"{name}.{part}" for name, parts in COMPLEX.items() for part in parts),
    *(f"manager.{name}" for name in MANAGER_PROPERTIES),
)

DEFAULT_MAPPING = {"email": "mail", "manager": "manager.mail"}


def selected(columns) -> tuple[list[str], bool]:
    """The ``$select`` of the user properties ``columns`` read (with id, accountEnabled, userPrincipalName), and
    whether the manager is expanded."""
    chosen = {"id", "accountEnabled", "userPrincipalName"}  # the last names a person in error reports
    manager = False
    for column in columns:
        top = column.split(".", 1)[0]
        if top == "manager":
            manager = True
        elif top in USER_PROPERTIES or top in COMPLEX:
            chosen.add(top)
    return sorted(chosen), manager
