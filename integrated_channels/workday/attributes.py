"""The Workday attributes offered in the mapping screen, and how each is read from a worker.

``SEED_PATHS`` is the seed's list of supported Workday attributes, verbatim: element paths in the
notation of an XML-to-JSON conversion of ``wd:Worker_Data`` — ``wd:Name`` a child element (the
first one, or the one a following number picks: ``wd:ID.1`` the second ``wd:ID``), ``@wd:Name``
an attribute, ``$`` the text; a bare word inside a reference (``Employee_ID``) is the ``wd:ID`` of
that ``wd:type``. The seed's list also names derived values, computed here: ``manager`` (the
e-mail of the worker's direct manager: the last level of the supervisory management chain),
``Primary Work Email``, the cost centre, company, department and division of the worker's
organizations. ``wd:Worker_Reference.WID`` / ``.Employee_ID`` (the worker's own reference, outside
Worker_Data) make the list 69. A path missing on a worker is an empty value, never an error.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

from lxml import etree

WD = "urn:com.workday/bsvc"
Q = f"{{{WD}}}"
NAMESPACES = {"wd": WD}

SEED_PATHS = (
    "wd:User_ID",
    "wd:Worker_ID",
    "manager",
    "wd:Personal_Data.wd:Name_Data.wd:Preferred_Name_Data.wd:Name_Detail_Data.@wd:Formatted_Name",
    "wd:Personal_Data.wd:Name_Data.wd:Legal_Name_Data.wd:Name_Detail_Data.@wd:Formatted_Name",
    "wd:Personal_Data.wd:Name_Data.wd:Legal_Name_Data.wd:Name_Detail_Data.wd:Prefix_Data.wd:Title_Descriptor",
    "wd:Personal_Data.wd:Name_Data.wd:Preferred_Name_Data.wd:Name_Detail_Data.wd:Prefix_Data.wd:Title_Descriptor",
    "wd:Personal_Data.wd:Name_Data.wd:Preferred_Name_Data.wd:Name_Detail_Data.wd:First_Name",
    "wd:Personal_Data.wd:Name_Data.wd:Preferred_Name_Data.wd:Name_Detail_Data.wd:Last_Name",
    "wd:Personal_Data.wd:Name_Data.wd:Legal_Name_Data.wd:Name_Detail_Data.wd:First_Name",
    "wd:Personal_Data.wd:Name_Data.wd:Legal_Name_Data.wd:Name_Detail_Data.wd:Last_Name",
    "wd:Personal_Data.wd:Contact_Data.wd:Address_Data.0.@wd:Formatted_Address",
    "wd:Personal_Data.wd:Contact_Data.wd:Address_Data.0.wd:Postal_Code",
    "wd:Personal_Data.wd:Contact_Data.wd:Email_Address_Data.0.wd:Email_Address",
    "wd:Personal_Data.wd:Contact_Data.wd:Address_Data.0.wd:Country_Region_Descriptor",
    "wd:Personal_Data.wd:Contact_Data.wd:Phone_Data.0.@wd:Formatted_Phone",
    "wd:Personal_Data.wd:Contact_Data.wd:Phone_Data.0.wd:Country_ISO_Code",
    "wd:Personal_Data.wd:Contact_Data.wd:Phone_Data.0.wd:International_Phone_Code",
    "wd:Personal_Data.wd:Contact_Data.wd:Phone_Data.0.wd:Phone_Number",
    "wd:Personal_Data.wd:Primary_Nationality_Reference.wd:ID.1.$",
    "wd:Personal_Data.wd:Gender_Reference.wd:ID.1.$",
    "wd:Personal_Data.wd:Identification_Data.wd:National_ID.0.wd:National_ID_Data.wd:ID",
    "wd:Personal_Data.wd:Identification_Data.wd:Custom_ID.0.wd:Custom_ID_Data.wd:ID",
    "wd:User_Account_Data.wd:Default_Display_Language_Reference.wd:ID.1.$",
    "wd:Role_Data.wd:Organization_Role_Data.wd:Organization_Role.0.wd:Organization_Role_Reference.wd:ID.1.$",
    "wd:Employment_Data.wd:Worker_Job_Data.0.wd:Position_Data.wd:Position_Title",
    "wd:Employment_Data.wd:Worker_Job_Data.0.wd:Position_Data.wd:Business_Title",
    "wd:Employment_Data.wd:Worker_Job_Data.0.wd:Position_Data.wd:Business_Site_Summary_Data.wd:Name",
    "wd:Employment_Data.wd:Worker_Job_Data.0.wd:Position_Data.wd:Business_Site_Summary_Data.wd:Address_Data.@wd:Formatted_Address",
    "wd:Employment_Data.wd:Worker_Job_Data.0.wd:Position_Data.wd:Job_Classification_Summary_Data.0.wd:Job_Classification_Reference.wd:ID.1.$",
    "wd:Employment_Data.wd:Worker_Job_Data.0.wd:Position_Data.wd:Job_Classification_Summary_Data.0.wd:Job_Group_Reference.wd:ID.1.$",
    "wd:Employment_Data.wd:Worker_Job_Data.0.wd:Position_Data.wd:Work_Space__Reference.wd:ID.1.$",
    "wd:Employment_Data.wd:Worker_Job_Data.0.wd:Position_Data.wd:Job_Profile_Summary_Data.wd:Job_Family_Reference.0.wd:ID.1.$",
    "wd:Employment_Data.wd:Worker_Job_Data.0.wd:Position_Data.wd:Job_Profile_Summary_Data.wd:Job_Profile_Name",
    "wd:Employment_Data.wd:Worker_Job_Data.0.wd:Position_Data.wd:Job_Profile_Summary_Data.wd:Job_Profile_Reference.wd:ID.1.$",
    "wd:Employment_Data.wd:Worker_Job_Data.0.wd:Position_Data.wd:Business_Site_Summary_Data.wd:Address_Data.0.wd:Country_Reference.wd:ID.2.$",
    "wd:Employment_Data.wd:Worker_Job_Data.0.wd:Position_Data.wd:Worker_Type_Reference.wd:ID.1.$",
    "wd:Employment_Data.wd:Worker_Job_Data.0.wd:Position_Data.wd:Business_Site_Summary_Data.wd:Address_Data.0.@wd:Formatted_Address",
    "wd:Employment_Data.wd:Worker_Job_Data.0.wd:Position_Data.wd:Job_Profile_Summary_Data.wd:Management_Level_Reference.wd:ID.1.$",
    "wd:Employment_Data.wd:Worker_Status_Data.wd:Active",
    "wd:Employment_Data.wd:Worker_Status_Data.wd:Active_Status_Date",
    "wd:Employment_Data.wd:Worker_Status_Data.wd:Hire_Date",
    "wd:Employment_Data.wd:Worker_Status_Data.wd:Original_Hire_Date",
    "wd:Employment_Data.wd:Worker_Status_Data.wd:Retired",
    "wd:Employment_Data.wd:Worker_Status_Data.wd:Retirement_Date",
    "wd:Employment_Data.wd:Worker_Status_Data.wd:Terminated",
    "wd:Employment_Data.wd:Worker_Status_Data.wd:Termination_Date",
    "wd:Employment_Data.wd:Worker_Status_Data.wd:Termination_Last_Day_of_Work",
    "wd:Organization_Data.wd:Worker_Organization_Data.0.wd:Organization_Data.wd:Organization_Code",
    "wd:Organization_Data.wd:Worker_Organization_Data.0.wd:Organization_Data.wd:Organization_Name",
    "wd:Organization_Data.wd:Worker_Organization_Data.0.wd:Organization_Data.wd:Organization_Type_Reference.wd:ID.1.$",
    "wd:Organization_Data.wd:Worker_Organization_Data.0.wd:Organization_Data.wd:Organization_Subtype_Reference.wd:ID.1.$",
    "wd:Qualification_Data.wd:Education.0.wd:School_Name",
    "wd:Qualification_Data.wd:External_Job_History.0.wd:Job_History_Data.wd:Job_Title",
    "wd:Qualification_Data.wd:External_Job_History.0.wd:Job_History_Data.wd:Company",
    "wd:Management_Chain_Data.wd:Worker_Supervisory_Management_Chain_Data.wd:Management_Chain_Data.0.wd:Manager.Employee_ID",
    "Primary Work Email",
    "wd:Organization_Type_Reference_Cost_Center_ID",
    "wd:Organization_Type_Reference_Cost_Center_Name",
    "wd:Organization_Type_Reference_Company",
    "wd:Organization_Subtype_Reference_Department",
    "wd:Organization_Subtype_Reference_Division",
    "wd:Universal_ID",
    "wd:Integration_Field_Override_Data.3.wd:Value",
    "wd:Employment_Data.wd:Worker_Job_Data.0.wd:Position_Data.wd:Business_Site_Summary_Data.wd:Address_Data.0.wd:Country_Region_Descriptor",
    "wd:Employment_Data.wd:Worker_Job_Data.0.wd:Position_Data.wd:Business_Site_Summary_Data.wd:Address_Data.0.wd:Country_Region_Reference.wd:ID.2.$",
    "wd:Personal_Data.wd:Contact_Data.wd:Address_Data.0.wd:Municipality",
)
OWN_REFERENCE = ("wd:Worker_Reference.WID", "wd:Worker_Reference.Employee_ID")
ATTRIBUTES = (*SEED_PATHS, *OWN_REFERENCE)
MANAGER = "manager"
PRIMARY_WORK_EMAIL = "Primary Work Email"
DEFAULT_MAPPING = {"email": PRIMARY_WORK_EMAIL, "manager": MANAGER}

#: Derived organization values: (type or subtype reference, its ID, the organization's field).
ORGANIZATION_VALUES = {
    "wd:Organization_Type_Reference_Cost_Center_ID": (
        "Organization_Type_Reference",
        "COST_CENTER",
        "Organization_Code",
    ),
    "wd:Organization_Type_Reference_Cost_Center_Name": (
        "Organization_Type_Reference",
        "COST_CENTER",
        "Organization_Name",
    ),
    "wd:Organization_Type_Reference_Company": ("Organization_Type_Reference", "COMPANY", "Organization_Name"),
    "wd:Organization_Subtype_Reference_Department": (
        "Organization_Subtype_Reference",
        "Department",
        "Organization_Name",
    ),
    "wd:Organization_Subtype_Reference_Division": ("Organization_Subtype_Reference", "Division", "Organization_Name"),
}

#: The Response_Group flag that brings each top-level element of Worker_Data (what is not mapped is not asked).
GROUPS = {
    "wd:Personal_Data": "Include_Personal_Information",
    "wd:Employment_Data": "Include_Employment_Information",
    "wd:Organization_Data": "Include_Organizations",
    "wd:Role_Data": "Include_Roles",
    "wd:Management_Chain_Data": "Include_Management_Chain_Data",
    "wd:Qualification_Data": "Include_Qualifications",
    "wd:User_Account_Data": "Include_User_Account",
    MANAGER: "Include_Management_Chain_Data",
    PRIMARY_WORK_EMAIL: "Include_Personal_Information",
    **dict.fromkeys(ORGANIZATION_VALUES, "Include_Organizations"),
}
GROUP_ORDER = (
    "Include_Reference",
    "Include_Personal_Information",
    "Include_Employment_Information",
    "Include_Organizations",
    "Include_Roles",
    "Include_Management_Chain_Data",
    "Include_Qualifications",
    "Include_User_Account",
)


def response_group(columns: Iterable[str]) -> list[str]:
    """The Include_* flags the mapped ``columns`` need (Include_Reference always), in the schema's order."""
    wanted = {"Include_Reference", "Include_Personal_Information"}  # the name (clash checks) is personal data
    for column in columns:
        flag = GROUPS.get(column) or GROUPS.get(column.split(".", 1)[0])
        if flag:
            wanted.add(flag)
    return [flag for flag in GROUP_ORDER if flag in wanted]


def _text(element) -> str:
    return (element.text or "").strip() if element is not None else ""


def _id_of_type(element, kind: str) -> str:
    for found in element.iter(f"{Q}ID"):
        if found.get(f"{Q}type") == kind:
            return (found.text or "").strip()
    return ""


def _xpath(expression: str) -> etree.XPath:
    return etree.XPath(expression, namespaces=NAMESPACES, smart_strings=False)


def path_xpath(path: str) -> str | None:
    """The XPath, from a ``wd:Worker`` element, of a seed path (None: a path that can name nothing).

    ``wd:Name`` is the first such child (``wd:Name.2`` the third), ``@wd:Name`` an attribute, ``$`` the
    text, a bare word the first ``wd:ID`` of that ``wd:type`` at or under the node.
    """
    parts = path.split(".")
    steps = [] if parts[0] == "wd:Worker_Reference" else ["wd:Worker_Data[1]"]
    index = 0
    while index < len(parts):
        part = parts[index]
        if part == "$":
            break
        if part.startswith("@wd:"):
            if not part[4:].isidentifier():
                return None
            steps.append(f"@wd:{part[4:]}")
            break
        if part.startswith("wd:"):
            if not part[3:].isidentifier():
                return None
            position = 1
            if index + 1 < len(parts) and parts[index + 1].isdigit():
                position = int(parts[index + 1]) + 1
                index += 1
            steps.append(f"{part}[{position}]")
        elif part.isdigit() or not part.isidentifier():
            return None  # a number not after an element: not a path of this notation
        else:
            steps.append(f"descendant-or-self::wd:ID[@wd:type='{part}'][1]")  # an ID type (Employee_ID, WID)
            break
        index += 1
    return "/".join(steps)


def _value(found: list) -> str:
    if not found:
        return ""
    first = found[0]
    return (first if isinstance(first, str) else (first.text or "")).strip()


def _path_reader(path: str) -> Callable[[object], str]:
    expression = path_xpath(path)
    if expression is None:
        return lambda worker: ""
    compiled = _xpath(expression)
    return lambda worker: _value(compiled(worker))


_TRUE = "(@wd:Primary='1' or translate(@wd:Primary, 'TRUE', 'true')='true')"
_WORK = "normalize-space((.//wd:ID[@wd:type='Communication_Usage_Type_ID'])[1])='WORK'"
_EMAILS = "wd:Worker_Data[1]/wd:Personal_Data/wd:Contact_Data/wd:Email_Address_Data"
_PRIMARY_WORK = _xpath(f"{_EMAILS}[wd:Usage_Data/wd:Type_Data[{_WORK} and {_TRUE}]]")
_ANY_WORK = _xpath(f"{_EMAILS}[wd:Usage_Data/wd:Type_Data[{_WORK}]]")
_MANAGERS = _xpath(
    "wd:Worker_Data[1]/wd:Management_Chain_Data/wd:Worker_Supervisory_Management_Chain_Data"
    "/wd:Management_Chain_Data/wd:Manager[1]"
)


def primary_work_email(worker) -> str:
    """The primary e-mail address of usage WORK; else the first WORK address."""
    for data in _PRIMARY_WORK(worker)[:1]:
        return _text(data.find(f"{Q}Email_Address"))
    for data in _ANY_WORK(worker):
        address = _text(data.find(f"{Q}Email_Address"))
        if address:
            return address
    return ""


def _organization_reader(column: str) -> Callable[[object], str]:
    reference, wanted, field = ORGANIZATION_VALUES[column]
    compiled = _xpath(
        "wd:Worker_Data[1]/wd:Organization_Data/wd:Worker_Organization_Data"
        f"/wd:Organization_Data[wd:{reference}[1]//wd:ID[normalize-space()='{wanted}']]"
    )

    def read_organization(worker) -> str:
        found = compiled(worker)
        return _text(found[0].find(f"{Q}{field}")) if found else ""

    return read_organization


def manager_wid(worker) -> str:
    """The WID of the worker's direct manager: the last level of the supervisory management chain."""
    for manager in reversed(_MANAGERS(worker)):
        wid = _id_of_type(manager, "WID")
        if wid:
            return wid
    return ""


@functools.cache
def reader(column: str) -> Callable[[object], str]:
    """How one mapped column is read from a ``wd:Worker`` element, compiled once (XPath): ``reader(column)(worker)``.

    ``manager`` gives the manager's WID (the source turns it into an e-mail); a missing step is "".
    """
    if column == MANAGER:
        return manager_wid
    if column == PRIMARY_WORK_EMAIL:
        return primary_work_email
    if column in ORGANIZATION_VALUES:
        return _organization_reader(column)
    return _path_reader(column)


def read(worker, column: str) -> str:
    """One mapped column of a worker."""
    return reader(column)(worker)
