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

Child rows the admin edits in inlines (the xAPI import's mapping rows and filters, Power BI's
columns) are the admin's own inline formsets, on a page of their own: ``row_formsets(model, request,
instance)`` builds them with each inline's ``get_formset`` (its form, fields, extra rows, the
model's validation) and the connection admin's ``get_formset_kwargs`` (its initial rows), and
``save_rows`` saves them with the admin's ``save_formset``. The inlines' Django default permission
checks (staff permissions, which a customer's administrator has none of) are replaced by the
page's customer scope; a permission an inline itself restricts (no adding, no deleting) is kept.
``delete_connection`` deletes a connection as the admin's delete page does (``delete_model``);
``deleted_summary`` counts what goes with it (the admin's confirmation page's summary).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import NestedObjects, flatten_fieldsets
from django.db import router, transaction
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


_PERMISSIONS = ("has_add_permission", "has_change_permission", "has_delete_permission", "has_view_permission")


def _allowed(self, request, obj=None):
    return True


def _scoped_inline(inline_class):
    """The inline with Django's staff-permission checks replaced by the page's scope (see the module)."""
    overrides = {}
    for name in _PERMISSIONS:
        owner = next(klass for klass in inline_class.__mro__ if name in klass.__dict__)
        if owner.__module__.startswith("django."):
            overrides[name] = _allowed
    return type(f"Portal{inline_class.__name__}", (inline_class,), overrides)


@dataclass(frozen=True)
class RowFormset:
    """One inline of the admin: its title and its bound formset."""

    title: str
    formset: object
    can_add: bool  # rows may be added (the inline's own add permission)


def row_formsets(model, request, instance) -> list[RowFormset]:
    """The admin's inline formsets of ``instance`` (bound to ``request.POST`` on a POST), prefixes as the admin's."""
    model_admin = model_admin_of(model)
    found: list[RowFormset] = []
    prefixes: dict[str, int] = {}
    for inline_class in model_admin.inlines:
        inline = _scoped_inline(inline_class)(model_admin.model, model_admin.admin_site)
        formset_class = inline.get_formset(request, instance)
        prefix = formset_class.get_default_prefix()
        prefixes[prefix] = prefixes.get(prefix, 0) + 1
        if prefixes[prefix] != 1 or not prefix:
            prefix = f"{prefix}-{prefixes[prefix]}"
        formset = formset_class(**model_admin.get_formset_kwargs(request, instance, inline, prefix))
        title = str(inline.verbose_name_plural or inline.model._meta.verbose_name_plural)
        found.append(RowFormset(title=title, formset=formset, can_add=inline.has_add_permission(request, instance)))
    return found


def save_rows(model, request, instance, formsets: list[RowFormset]) -> dict[str, int]:
    """Save every formset (all were valid) in one transaction with the admin's ``save_formset``; rows
    added, changed and deleted."""
    model_admin = model_admin_of(model)
    with transaction.atomic(using=router.db_for_write(model)):
        for item in formsets:
            model_admin.save_formset(request, None, item.formset, change=True)
    return {
        "added": sum(len(item.formset.new_objects) for item in formsets),
        "changed": sum(len(item.formset.changed_objects) for item in formsets),
        "deleted": sum(len(item.formset.deleted_objects) for item in formsets),
    }


def deleted_summary(instance) -> dict:
    """What deleting ``instance`` deletes with it, by verbose plural name (as the admin's confirmation page),
    and the rows that would prevent it (``protected``)."""
    collector = NestedObjects(using=router.db_for_write(type(instance)))
    collector.collect([instance])
    counts = {str(model._meta.verbose_name_plural): len(objects) for model, objects in collector.model_objs.items()}
    return {"counts": counts, "protected": len(collector.protected)}


def delete_connection(request, instance) -> None:
    """Delete as the admin does: the connection admin's ``delete_model`` (runs keep their history: their
    connection becomes empty)."""
    model_admin_of(type(instance)).delete_model(request, instance)
