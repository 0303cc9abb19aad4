"""A connector's connection form outside the Django admin (the enterprise portal, decision 0445).

``connection_form(model, request)`` returns the form the connection's own admin uses — the same
form class (its mapping screen, filters' builder, sample file, re-entry of secrets when the host
changes, model validation), the same fields in the same sections — with three differences for a
page where the customer is already known:

- no ``customer`` field: the page sets the instance's customer, and the unique (customer,
  connector, name) check still runs (it would be skipped for a field missing from the form);
- no read-only fields (``created``, ``modified``, the admin's computed displays);
- plain widgets (no admin JavaScript), except the admin's ``formfield_overrides`` — the secret
  fields' write-only ``PasswordInput`` among them (never rendered back, blank keeps the stored value);
- a choice of other rows (e.g. SAP's identity provider) offers only the customer's own rows
  (``ConnectionForm.bind``); a choice of rows that belong to no customer is not offered at all.

Child rows the admin edits in inlines (e.g. the xAPI import's mapping rows) are not part of it:
``inline_rows(model)`` names them so a page can say where they are edited.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.forms.models import modelform_factory

from integrated_channels.integrated_channel.admin.configuration import ChannelConfigurationAdmin
from integrated_channels.integrated_channel.imports.forms import ConditionsWidget, MappingWidget

SET_BY_PAGE = ("customer",)


@dataclass(frozen=True)
class Section:
    """A fieldset of the admin's page: its title (``None`` for the first) and its fields' names."""

    title: str | None
    fields: tuple[str, ...]


@dataclass(frozen=True)
class ConnectionForm:
    form_class: type[forms.ModelForm]
    sections: tuple[Section, ...]
    secrets: frozenset[str]  # the write-only fields
    composite: frozenset[str]  # fields rendered as a group of inputs (mapping screen, filters' builder)
    inline_rows: tuple[str, ...]  # child rows edited in the admin only (their verbose names)

    def bind(self, customer, instance=None, data=None, files=None) -> forms.ModelForm:
        """The form of ``instance`` (a new connection of ``customer`` when ``None``), its choices of other
        rows limited to the customer's."""
        if instance is None:
            instance = self.form_class._meta.model(customer=customer)
        form = self.form_class(data, files, instance=instance)
        for name, field in list(form.fields.items()):
            if isinstance(field, forms.ModelChoiceField):
                related = field.queryset.model
                if any(f.name == "customer" for f in related._meta.get_fields()):
                    field.queryset = field.queryset.filter(customer=customer)
                else:
                    del form.fields[name]
        return form


def model_admin_of(model) -> ChannelConfigurationAdmin:
    model_admin = admin.site._registry.get(model)
    if not isinstance(model_admin, ChannelConfigurationAdmin):
        raise LookupError(f"{model.__name__} has no connection admin.")
    return model_admin


def _overrides(model_admin) -> dict:
    """The admin class's own ``formfield_overrides`` (the instance's also hold the admin's widgets)."""
    found: dict = {}
    for klass in reversed(type(model_admin).__mro__):
        for db_class, options in klass.__dict__.get("formfield_overrides", {}).items():
            found.setdefault(db_class, {}).update(options)
    return found


def _formfield_callback(overrides: dict):
    def formfield(db_field, **kwargs):
        for klass in type(db_field).__mro__:
            if klass in overrides:
                kwargs = {**copy.deepcopy(overrides[klass]), **kwargs}
                break
        return db_field.formfield(**kwargs)

    return formfield


class _CustomerSetByPage:
    """Validate the unique (customer, connector, name) constraint although ``customer`` is not a field."""

    def _get_validation_exclusions(self):
        exclude = super()._get_validation_exclusions()
        return exclude - set(SET_BY_PAGE)


def connection_form(model, request) -> ConnectionForm:
    """The admin's connection form of ``model`` for a page that sets the customer (see the module)."""
    model_admin = model_admin_of(model)
    readonly = set(model_admin.get_readonly_fields(request, None))
    excluded = set(model_admin.get_exclude(request, None) or ()) | readonly | set(SET_BY_PAGE)
    sections = []
    for title, options in model_admin.get_fieldsets(request, None):
        names = tuple(name for name in flatten_fieldsets([(title, options)]) if name not in excluded)
        if names:
            sections.append(Section(title=str(title) if title else None, fields=names))
    names = [name for section in sections for name in section.fields]
    base = type(f"Portal{model_admin.form.__name__}", (_CustomerSetByPage, model_admin.form), {})
    form_class = modelform_factory(
        model, form=base, fields=names, formfield_callback=_formfield_callback(_overrides(model_admin))
    )
    secrets = frozenset(
        name for name, field in form_class.base_fields.items() if isinstance(field.widget, forms.PasswordInput)
    )
    composite = frozenset(
        name
        for name, field in form_class.base_fields.items()
        if isinstance(field.widget, MappingWidget | ConditionsWidget)
    )
    rows = tuple(
        str(inline.verbose_name_plural or inline.model._meta.verbose_name_plural) for inline in _inlines(model_admin)
    )
    return ConnectionForm(form_class, tuple(sections), secrets, composite, rows)


def _inlines(model_admin):
    return [inline_class(model_admin.model, model_admin.admin_site) for inline_class in model_admin.inlines]
