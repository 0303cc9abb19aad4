"""The mapping screen as a form field: learner fields on the left, source columns in drop-downs.

``MappingField`` replaces a hand-typed JSON mapping: its widget renders one row per learner field
of the customer (built-in, then the customer's own), each with a drop-down of the source's
columns and "Do not import from source" (not offered for mandatory fields). The columns are
those the connection stored from its last sample file or Test connection (``columns``), plus
those of a sample file chosen in the page — read in the browser as soon as it is chosen, and
again on the server when the form is posted (``sample_columns``). The value is the same JSON
the connection stores: ``{field key: column or None}``; a field left on its blank choice is
absent (a built-in field is then not imported; a custom one blocks running, ``mapping.missing``).

``ConditionsField`` replaces the hand-typed JSON of the column conditions (``filters``) with a
builder: one row per condition (column drop-down, operator, value), rows added and removed with a
few lines of JavaScript, each row's errors shown next to it and named "Filter N, part: …". Its
value is the JSON the connection stores: ``[{"column": …, "op": …, "value": …}]``.
"""

from __future__ import annotations

import codecs
import io
import json
from collections.abc import Sequence

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from enterprise.csv_safety import CsvLineError, csv_records
from enterprise.learner_fields import BUILT_IN, Field
from integrated_channels.integrated_channel.imports import mapping as mappings
from integrated_channels.integrated_channel.imports.filters import OPERATORS, condition_error, parse_conditions

DO_NOT_IMPORT = "-"
SAMPLE_BYTES = 64 * 1024


def sample_columns(upload) -> list[str]:
    """The header of a CSV sample (an uploaded file), or ``ValidationError``."""
    upload.seek(0)
    head = upload.read(SAMPLE_BYTES)
    upload.seek(0)
    try:
        text = codecs.decode(head, "utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(_("The sample is not UTF-8 text.")) from None
    first = text.splitlines()[0] if text.strip() else ""
    try:
        cells = next((cells for _line, cells in csv_records(io.StringIO(first), source=upload.name)), [])
    except CsvLineError as exc:
        raise ValidationError(exc.message) from None
    return [cell.strip() for cell in cells if cell.strip()]


class MappingWidget(forms.Widget):
    template_name = "integrated_channel/imports/mapping_widget.html"
    #: An export mapping (learner field → the remote's field): no "do not import", no sample file.
    export = False
    target_label = _("Source column")

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.learner_fields: Sequence[Field] = BUILT_IN
        self.columns: list[str] = []
        self.sample_input = "sample_file"  # name of the form's sample file input, read in the browser

    def format_value(self, value):
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                value = {}
        return value if isinstance(value, dict) else {}

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        chosen = context["widget"]["value"]
        columns = list(dict.fromkeys([*self.columns, *(c for c in chosen.values() if c)]))
        context["widget"].update(
            rows=[
                {
                    "field": field,
                    "name": f"{name}__{field.key}",
                    "id": f"{attrs.get('id', name)}__{field.key}" if attrs else f"{name}__{field.key}",
                    "choice": DO_NOT_IMPORT
                    if field.key in chosen and chosen[field.key] is None
                    else chosen.get(field.key) or "",
                    "blank": self._blank(field),
                }
                for field in self.learner_fields
            ],
            columns=columns,
            columns_json=json.dumps(columns),
            do_not_import=DO_NOT_IMPORT,
            sample_input=self.sample_input,
            export=self.export,
            target_label=self.target_label,
        )
        return context

    def _blank(self, field: Field):
        if self.export:
            return _("— choose a field —") if field.mandatory else _("— not exported —")
        return _("— choose a column —") if (field.mandatory or not field.built_in) else _("— not imported —")

    def value_from_datadict(self, data, files, name):
        value: dict[str, str | None] = {}
        for field in self.learner_fields:
            choice = data.get(f"{name}__{field.key}", "")
            if choice == DO_NOT_IMPORT and not self.export:
                value[field.key] = None
            elif choice:
                value[field.key] = choice
        return value

    def value_omitted_from_data(self, data, files, name):
        return not any(key.startswith(f"{name}__") for key in data)


class MappingField(forms.Field):
    widget = MappingWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def configure(self, learner_fields: Sequence[Field], columns: Sequence[str]) -> None:
        self.widget.learner_fields = learner_fields
        self.widget.columns = list(columns)

    def clean(self, value):
        value = super().clean(value) or {}
        try:
            mappings.validate(value, self.widget.learner_fields)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None
        return value

    def offered(self, extra: Sequence[str] = ()) -> set[str]:
        return {*self.widget.columns, *extra}


def column_labels(mapping, fields: Sequence[Field]) -> dict[str, str]:
    """``{column: "Label, Label"}``: the learner fields a stored mapping takes from each column."""
    labels = {field.key: str(field.label) for field in fields}
    named: dict[str, list[str]] = {}
    for key, column in mappings.imported(mapping if isinstance(mapping, dict) else {}).items():
        named.setdefault(column, []).append(labels.get(key, key))
    return {column: ", ".join(names) for column, names in named.items()}


class ConditionsWidget(forms.Widget):
    """Rows of (column, operator, value) posted as ``<name>-<n>-column|op|value``.

    A hidden ``<name>`` input marks the builder as posted, so removing every row saves ``[]``
    rather than keeping the stored conditions (Django keeps a model default for an omitted field).
    """

    template_name = "integrated_channel/imports/conditions_widget.html"

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.columns: list[str] = []
        self.labels: dict[str, str] = {}
        self.row_errors: dict[int, dict[str, str]] = {}  # set by ConditionsField.clean: {row: {part: message}}

    def format_value(self, value):
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                value = []
        return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        items = context["widget"]["value"]
        columns = list(
            dict.fromkeys([*self.columns, *(c for item in items if isinstance(c := item.get("column"), str) and c)])
        )
        rows = []
        for number, item in enumerate(items, start=1):
            value = item.get("value")
            rows.append(
                {
                    "number": number,
                    "column": item.get("column") or "",
                    "op": item.get("op") or "eq",
                    "value": ", ".join(str(v) for v in value) if isinstance(value, list) else str(value or ""),
                    "errors": self.row_errors.get(number, {}),
                }
            )
        base_id = attrs.get("id", name) if attrs else name
        context["widget"].update(
            id=base_id,
            rows=rows,
            columns=[(column, self.labels.get(column, "")) for column in columns],
            operators=list(OPERATORS.items()),
        )
        return context

    def value_from_datadict(self, data, files, name):
        prefix = f"{name}-"
        indexes = sorted(
            {int(key.split("-")[-2]) for key in data if key.startswith(prefix) and key.split("-")[-2].isdigit()}
        )
        items = []
        for index in indexes:
            column = (data.get(f"{prefix}{index}-column") or "").strip()
            op = (data.get(f"{prefix}{index}-op") or "").strip()
            text = (data.get(f"{prefix}{index}-value") or "").strip()
            if not column and not text:
                continue  # a row added and left blank
            value: str | list[str] = [part.strip() for part in text.split(",") if part.strip()] if op == "in" else text
            items.append({"column": column, "op": op, "value": value})
        return items

    def value_omitted_from_data(self, data, files, name):
        return name not in data and not any(key.startswith(f"{name}-") for key in data)


class ConditionsField(forms.Field):
    """The column conditions (``filters.parse_conditions``'s JSON) edited as rows; see ``ConditionsWidget``.

    ``configure(columns, labels, known)``: the columns offered in the drop-downs, the learner fields
    mapped to each (shown beside the column), and which columns a condition may read
    (``known(column)``; by default any offered column, or any at all when none is known yet).
    """

    widget = ConditionsWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.known = None

    def configure(self, columns: Sequence[str], labels: dict[str, str] | None = None, known=None) -> None:
        self.widget.columns = list(dict.fromkeys(columns))
        self.widget.labels = dict(labels or {})
        self.known = known

    def to_python(self, value):
        if value in self.empty_values:
            return []
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise ValidationError(_("Filters must be a list of {column, op, value}.")) from None
        return value

    def clean(self, value):
        value = super().clean(value)
        errors: list[ValidationError] = []
        try:
            parse_conditions(value)
        except ValidationError as exc:
            errors = list(exc.error_list)
        bad = {error.params["row"] for error in errors if error.params}
        for number, item in enumerate(value, start=1):
            column = item.get("column") if isinstance(item, dict) else None
            if number not in bad and isinstance(column, str) and not self.is_known(column.strip()):
                offered = ", ".join(self.widget.columns)
                errors.append(
                    condition_error(number, "column", f"{column!r} is not a column of the source ({offered}).")
                )
        errors.sort(key=lambda error: error.params["row"] if error.params else 0)
        self.widget.row_errors = {}
        for error in errors:
            if error.params:
                self.widget.row_errors.setdefault(error.params["row"], {})[error.params["part"]] = error.params[
                    "problem"
                ]
        if errors:
            raise ValidationError(errors)
        return value

    def is_known(self, column: str) -> bool:
        if self.known is not None:
            return self.known(column)
        return not self.widget.columns or column in self.widget.columns


class ExportMappingWidget(MappingWidget):
    export = True

    def __init__(self, attrs=None, target_label=None):
        super().__init__(attrs)
        self.sample_input = ""
        if target_label is not None:
            self.target_label = target_label


class ExportMappingField(MappingField):
    """The same screen for an export (decision 0400): each learner field → one of the remote's fields
    (read by Test connection, ``columns``), or nothing (not exported). The value is ``{field key: remote
    field}``; the remote fields offered are the only ones accepted."""

    widget = ExportMappingWidget

    def __init__(self, *, target_label=None, **kwargs):
        super().__init__(**kwargs)
        if target_label is not None:
            self.widget.target_label = target_label

    def clean(self, value):
        value = super().clean(value)
        offered = set(self.widget.columns)
        unknown = sorted(target for target in value.values() if target and target not in offered)
        if unknown:
            raise ValidationError(
                _("Not a field of the remote (run Test connection to refresh the list): %(names)s.")
                % {"names": ", ".join(unknown)}
            )
        return value
