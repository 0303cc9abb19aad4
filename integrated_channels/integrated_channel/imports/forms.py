"""The mapping screen as a form field: learner fields on the left, source columns in drop-downs.

``MappingField`` replaces a hand-typed JSON mapping: its widget renders one row per learner field
of the customer (built-in, then the customer's own), each with a drop-down of the source's
columns and "Do not import from source" (not offered for mandatory fields). The columns are
those the connection stored from its last sample file or Test connection (``columns``), plus
those of a sample file chosen in the page — read in the browser as soon as it is chosen, and
again on the server when the form is posted (``sample_columns``). The value is the same JSON
the connection stores: ``{field key: column or None}``; a field left on its blank choice is
absent (a built-in field is then not imported; a custom one blocks running, ``mapping.missing``).
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
