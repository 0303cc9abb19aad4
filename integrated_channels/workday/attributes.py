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

from collections.abc import Iterable

WD = "urn:com.workday/bsvc"
Q = f"{{{WD}}}"

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


def read_path(worker, worker_data, path: str) -> str:
    """The value of a seed path on one worker ("" when any step is missing)."""
    parts = path.split(".")
    node = worker if parts[0] == "wd:Worker_Reference" else worker_data
    if node is None:
        return ""
    index = 0
    while index < len(parts):
        part = parts[index]
        if part == "$":
            return _text(node)
        if part.startswith("@wd:"):
            return (node.get(f"{Q}{part[4:]}") or "").strip()
        if part.startswith("wd:"):
            children = node.findall(f"{Q}{part[3:]}")
            position = 0
            if index + 1 < len(parts) and parts[index + 1].isdigit():
                position = int(parts[index + 1])
                index += 1
            if position >= len(children):
                return ""
            node = children[position]
        elif part.isdigit():
            return ""  # a number not after an element: not a path of this notation
        else:
            return _id_of_type(node, part)  # a bare word names an ID type (Employee_ID, WID)
        index += 1
    return _text(node)


def primary_work_email(worker_data) -> str:
    if worker_data is None:
        return ""
    fallback = ""
    for data in worker_data.iterfind(f"{Q}Personal_Data/{Q}Contact_Data/{Q}Email_Address_Data"):
        address = _text(data.find(f"{Q}Email_Address"))
        for type_data in data.iterfind(f"{Q}Usage_Data/{Q}Type_Data"):
            if _id_of_type(type_data, "Communication_Usage_Type_ID") != "WORK":
                continue
            if (type_data.get(f"{Q}Primary") or "").lower() in ("1", "true"):
                return address
            fallback = fallback or address
    return fallback


def organization_value(worker_data, column: str) -> str:
    reference, wanted, field = ORGANIZATION_VALUES[column]
    if worker_data is None:
        return ""
    for data in worker_data.iterfind(f"{Q}Organization_Data/{Q}Worker_Organization_Data/{Q}Organization_Data"):
        ref = data.find(f"{Q}{reference}")
        if ref is not None and any((i.text or "").strip() == wanted for i in ref.iter(f"{Q}ID")):
            return _text(data.find(f"{Q}{field}"))
    return ""


def manager_wid(worker_data) -> str:
    """The WID of the worker's direct manager: the last level of the supervisory management chain."""
    if worker_data is None:
        return ""
    levels = worker_data.findall(
        f"{Q}Management_Chain_Data/{Q}Worker_Supervisory_Management_Chain_Data/{Q}Management_Chain_Data"
    )
    for level in reversed(levels):
        manager = level.find(f"{Q}Manager")
        if manager is not None:
            wid = _id_of_type(manager, "WID")
            if wid:
                return wid
    return ""


def read(worker, worker_data, column: str) -> str:
    """One mapped column of a worker (``manager`` gives the manager's WID: the source turns it into an e-mail)."""
    if column == MANAGER:
        return manager_wid(worker_data)
    if column == PRIMARY_WORK_EMAIL:
        return primary_work_email(worker_data)
    if column in ORGANIZATION_VALUES:
        return organization_value(worker_data, column)
    return read_path(worker, worker_data, column)
