"""The learner fields of a customer: the built-in ones, declared here, and the customer's own.

A field is what a connection's mapping fills from a source column, what filters and exports
read, and what the API shows in a learner's ``attributes``. Built-in fields keep the semantics of
decision 0062: "do not import from source" leaves the stored value intact. A customer's own
fields (``enterprise.models.LearnerField``) say it themselves with their kind (manual: intact;
imported: cleared). ``email`` identifies the person and is mandatory in every mapping; ``manager``
holds the e-mail of the person's manager (the manager filter follows it).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    mandatory: bool = False  # must map to a column (never "do not import")
    email: bool = False  # the column must hold e-mail addresses
    built_in: bool = True
    clear_when_not_imported: bool = False  # "do not import" clears the stored values (imported custom fields)
    audited: bool = False  # every change is recorded (who, when, how, old and new value): LearnerFieldChange


#: The learner's user id in the customer's SAP SuccessFactors (``userID`` of its learning events;
#: decision 0300). Kept by hand (admin, API, Manage Learners CSV) or imported; SAML sign-in records
#: its own (``LearnerRemoteIdentity``), used where this field is empty.
SAP_USER_ID = "sap_user_id"


#: The built-in learner fields, in the order the mapping screen shows them.
BUILT_IN: tuple[Field, ...] = (
    Field("email", "E-mail", mandatory=True, email=True),
    Field("first_name", "First name"),
    Field("last_name", "Last name"),
    Field("employee_id", "Employee id"),
    Field("manager", "Manager (e-mail)", email=True),
    Field("department", "Department"),
    Field("job_title", "Job title"),
    Field("location", "Location"),
    Field("country", "Country"),
    Field("hire_date", "Hire date"),
    Field(SAP_USER_ID, "SAP user id", audited=True),
)
BUILT_IN_KEYS = frozenset(field.key for field in BUILT_IN)
AUDITED_KEYS = frozenset(field.key for field in BUILT_IN if field.audited)


def fields_of(customer) -> tuple[Field, ...]:
    """The built-in fields, then the customer's own (by key); one query, none without a customer."""
    if customer is None or customer.pk is None:
        return BUILT_IN
    from enterprise.models import LearnerField

    custom = LearnerField.objects.filter(customer_id=customer.pk).order_by("key").values_list("key", "label", "kind")
    return BUILT_IN + tuple(
        Field(key, label, built_in=False, clear_when_not_imported=kind == LearnerField.Kind.IMPORTED)
        for key, label, kind in custom
    )
