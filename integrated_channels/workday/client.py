"""Workday's Human_Resources service (v40.1) over SOAP: Get_Workers, page by page.

The framework's SOAP transport (zeep on the guarded session, the project's retry policy, hardened
XML parsing) with the WSDL this app ships (``wsdl/Human_Resources.wsdl``: Workday publishes none
that may be redistributed) and WS-Security UsernameToken with PasswordText — the integration
system user as ``user@tenant`` — and a Timestamp, as Workday's integration users authenticate.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from xml.sax.saxutils import escape

from integrated_channels.integrated_channel.exceptions import MalformedResponse
from integrated_channels.integrated_channel.transports.soap import SoapTransport, WSSecurity, utc_timestamp
from integrated_channels.workday.attributes import WD, Q

WSDL_DIR = Path(__file__).resolve().parent / "wsdl"
PAGE_SIZE = 999  # Response_Filter Count: Workday's maximum


class WorkdayClient(SoapTransport):
    name = "Workday"
    binding = f"{{{WD}}}Human_ResourcesBinding"

    def wsdl_location(self) -> str:
        return str(WSDL_DIR / "Human_Resources.wsdl")

    def wsdl_roots(self) -> tuple[Path, ...]:
        return (WSDL_DIR,)

    def endpoint(self) -> str:
        return self.configuration.endpoint()

    def security(self) -> WSSecurity:
        return WSSecurity(self.configuration.isu(), self.configuration.password, digest=False)

    def get_workers(
        self,
        *,
        page: int,
        as_of: datetime.datetime,
        groups: list[str],
        exclude_inactive: bool,
        exclude_contingent: bool,
        count: int = PAGE_SIZE,
    ):
        """One page of Get_Workers: (the Worker elements, Total_Pages, Total_Results)."""
        criteria = (
            f"<wd:Exclude_Inactive_Workers>{'true' if exclude_inactive else 'false'}</wd:Exclude_Inactive_Workers>"
            f"<wd:Exclude_Contingent_Workers>{'true' if exclude_contingent else 'false'}"
            "</wd:Exclude_Contingent_Workers>"
        )
        flags = "".join(f"<wd:{flag}>true</wd:{flag}>" for flag in groups)
        document = (
            f'<wd:Request_Criteria xmlns:wd="{WD}">{criteria}</wd:Request_Criteria>'
            f'<wd:Response_Filter xmlns:wd="{WD}">'
            f"<wd:As_Of_Entry_DateTime>{escape(utc_timestamp(as_of))}</wd:As_Of_Entry_DateTime>"
            f"<wd:Page>{int(page)}</wd:Page><wd:Count>{int(count)}</wd:Count></wd:Response_Filter>"
            f'<wd:Response_Group xmlns:wd="{WD}">{flags}</wd:Response_Group>'
        ).encode()
        body = self.call("Get_Workers", lambda out: out.write(document))
        response = body.find(f"{Q}Get_Workers_Response")
        results = response.find(f"{Q}Response_Results") if response is not None else None
        if results is None:
            raise MalformedResponse(f"{self.name} answered Get_Workers without Response_Results (page {page}).")
        try:
            total_pages = int(float(results.findtext(f"{Q}Total_Pages") or "0"))
            total = int(float(results.findtext(f"{Q}Total_Results") or "0"))
        except ValueError as exc:
            raise MalformedResponse(f"{self.name} answered page {page} with unreadable totals.") from exc
        data = response.find(f"{Q}Response_Data")
        workers = data.findall(f"{Q}Worker") if data is not None else []
        return workers, total_pages, total


class WorkdayTalentClient(WorkdayClient):
    """The Talent service of the same tenant: Manage_Skills (a worker's skill items, by name)."""

    binding = f"{{{WD}}}TalentBinding"

    def wsdl_location(self) -> str:
        return str(WSDL_DIR / "Talent.wsdl")

    def endpoint(self) -> str:
        return self.configuration.endpoint("Talent")

    def manage_skills(self, wid: str, names: list[str]) -> None:
        """Add ``names`` as skill items of the worker ``wid`` (Workday finds or creates each by its name)."""
        skills = "".join(f"<wd:Skill><wd:Skill_Name>{escape(name)}</wd:Skill_Name></wd:Skill>" for name in names)
        document = (
            f'<wd:Manage_Skills_Data xmlns:wd="{WD}"><wd:Worker_Reference><wd:ID wd:type="WID">{escape(wid)}'
            f"</wd:ID></wd:Worker_Reference>{skills}</wd:Manage_Skills_Data>"
        ).encode()
        self.call("Manage_Skills", lambda out: out.write(document))
