"""Set-based SQL for bulk paths: many values as one parameter.

``AnyOf(expression, values)`` filters on ``expression IN values`` with the whole list bound as
one array parameter (``= ANY(…)`` on PostgreSQL, ``json_each`` on SQLite): Django's ``__in``
binds one parameter per value, and with client-side binding psycopg then spends more time
splitting the query text than the database spends running it.

``insert_varying`` inserts many rows that differ in one column with a single ``INSERT … SELECT``.

``bulk_create`` builds a model instance and binds every field of every row as its own
parameter; for 50,000 learners that is most of the time of a bulk link. Here the varying column
travels as one array parameter and the other columns are constants, so the database produces the
rows itself (``unnest`` on PostgreSQL, ``json_each`` on SQLite, both with ``RETURNING``):

    INSERT INTO t (customer_id, active, …, created, modified, user_id)
    SELECT %s, %s, …, %s, %s, v FROM unnest(%s::bigint[]) AS v RETURNING id, user_id

The constant values come from the model's fields (defaults, ``auto_now``/``auto_now_add``,
prepared by each field for the database), so a field added later with a default is inserted
correctly too. Constraints are not bypassed: a unique violation raises ``IntegrityError`` as
``bulk_create`` would. No signals are sent (neither does ``bulk_create``). Other databases get
``bulk_create``.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Collection, Sequence
from decimal import Decimal
from itertools import repeat

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import Lookup
from django.db.models.lookups import In
from django.utils import timezone


class AnyOf(Lookup):
    """``lhs`` equals one of ``values`` (integers, or strings without line breaks), bound as one parameter."""

    lookup_name = "any_of"
    prepare_rhs = False

    def __init__(self, lhs, values):
        super().__init__(lhs, list(values))

    def as_sql(self, compiler, connection):
        values = self.rhs
        if not values:
            raise EmptyResultSet
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "sqlite":
            return f"{lhs_sql} IN (SELECT value FROM json_each(%s))", [*lhs_params, json.dumps(values)]  # noqa: S608
        if connection.vendor == "postgresql":
            if _all_ints(values):
                cast = self.lhs.output_field.db_type(connection)
                return f"{lhs_sql} = ANY(%s::{cast}[])", [*lhs_params, _int_array(values)]
            if len(values) == 1:  # string_to_array('', …) is an empty array: a lone '' would match nothing
                return f"{lhs_sql} = %s", [*lhs_params, text_lines(values)]
            return f"{lhs_sql} = ANY(string_to_array(%s, chr(10)))", [*lhs_params, text_lines(values)]
        return In(self.lhs, values).as_sql(compiler, connection)


def _constant_params(
    model,
    connection,
    *,
    column_field,
    constants: dict[str, object],
    by_value: dict[str, dict] | None = None,
    skip: Collection[str] = (),
) -> tuple[list[str], list[str], list]:
    """The other columns of ``insert_varying``: (quoted columns, their SQL expressions, parameters)."""
    now = timezone.now()
    columns, expressions, params = [], [], []
    by_value = by_value or {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field is column_field or field.attname in skip:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.attname in by_value:
            default = field.get_default() if field.has_default() else None
            mapping = json.dumps({str(key): value for key, value in by_value[field.attname].items()})
            if connection.vendor == "postgresql":
                expressions.append("COALESCE((%s::jsonb) -> (v::text), %s::jsonb)")
            else:
                expressions.append("COALESCE(json_extract(%s, '$.\"' || v || '\"'), %s)")
            params += [mapping, json.dumps(default)]
            continue
        if field.attname in constants:
            value = constants[field.attname]
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = now
        elif field.has_default():
            value = field.get_default()
        elif field.null:
            value = None
        elif field.blank and field.empty_strings_allowed:
            value = ""  # an optional text or file field, as a model instance would have it
        else:
            raise ValueError(f"{model.__name__}.{field.name} needs a value: pass it in constants.")
        expressions.append("%s")
        params.append(field.get_db_prep_save(value, connection))
    return columns, expressions, params


def insert_varying(
    model,
    *,
    field: str,
    values: list,
    constants: dict[str, object],
    by_value: dict[str, dict] | None = None,
    returning: bool = True,
) -> dict[object, int]:
    """Insert one row per value of ``values`` into ``field``; return ``{value: new primary key}``
    (``{}`` with ``returning=False``: no ``RETURNING``, for a caller that needs no ids).

    ``values`` are integers or strings without line breaks (ids, validated e-mail addresses),
    distinct. ``constants`` maps attribute names (``customer_id``) to the value every row gets.
    ``by_value`` maps the attribute name of a JSON field to ``{value: JSON value}``: each row gets
    the one of its value (one JSON object parameter, ``->`` on PostgreSQL, ``json_extract`` on
    SQLite), the field's default when its value is missing.
    """
    if not values:
        return {}
    # One order for every submission: concurrent inserts then take the unique-index locks in the same
    # order and wait for each other instead of deadlocking (tests/reliability/test_concurrency.py).
    values = sorted(values)
    alias = router.db_for_write(model)
    connection = connections[alias]
    column_field = model._meta.get_field(field)
    vendor = connection.vendor
    if vendor not in {"postgresql", "sqlite"}:
        extra = by_value or {}
        objs = model._default_manager.using(alias).bulk_create(
            [
                model(
                    **constants,
                    **{column_field.attname: value},
                    **{name: mapping[value] for name, mapping in extra.items() if value in mapping},
                )
                for value in values
            ]
        )
        return {getattr(obj, column_field.attname): obj.pk for obj in objs}
    columns, expressions, params = _constant_params(
        model, connection, column_field=column_field, constants=constants, by_value=by_value
    )
    quote = connection.ops.quote_name
    target = quote(column_field.column)
    pk = quote(model._meta.pk.column)
    if vendor == "sqlite":
        source, array = "(SELECT value AS v FROM json_each(%s))", json.dumps(values)
    elif _all_ints(values):
        source, array = f"unnest(%s::{column_field.db_type(connection)}[]) AS v", _int_array(values)
    else:
        source, array = "unnest(string_to_array(%s, chr(10))) AS v", text_lines(values)
    selected = ", ".join([*expressions, "v"])
    # Only quoted identifiers and placeholders are interpolated.
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join([*columns, target])}) "  # noqa: S608
        f"SELECT {selected} FROM {source}"
    )
    with connection.cursor() as cursor:
        if not returning:
            cursor.execute(sql, [*params, array])
            return {}
        cursor.execute(f"{sql} RETURNING {pk}, {target}", [*params, array])
        return {value: new_pk for new_pk, value in cursor.fetchall()}


def insert_select(
    model, *, selected: dict[str, str], source: str, constants: dict[str, object], tail: str = ""
) -> tuple[str, list]:
    """``INSERT INTO <model's table> (…) SELECT … FROM source tail``: (SQL, constant parameters).

    ``selected`` maps attribute names (``user_id``) to SQL expressions over ``source`` (trusted SQL of
    the caller: columns of a staging table); every other column gets its constant, default or
    ``auto_now`` value as in ``insert_varying``, so a field added later with a default is filled too.
    The returned parameters are the constants'; the caller appends those of ``source`` and ``tail``.
    """
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    columns, expressions, params = _constant_params(
        model, connection, column_field=None, constants=constants, skip=set(selected)
    )
    names = [quote(model._meta.get_field(name).column) for name in selected] + columns
    values = [*selected.values(), *expressions]
    # Only quoted identifiers, the caller's expressions and placeholders are interpolated.
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(names)}) SELECT {', '.join(values)} FROM {source}"  # noqa: S608
    return f"{sql} {tail}".strip(), params


def insert_records(model, *, rows: list[dict], constants: dict[str, object], tail: str = "") -> list[tuple]:
    """Insert ``rows`` (dicts of attribute names → values, all with the same keys) in one statement; return what
    ``tail``'s ``RETURNING`` gives (``[]`` without one).

    The rows travel as one JSON parameter (``jsonb_to_recordset`` on PostgreSQL, ``json_each`` on SQLite),
    each value prepared by its field as ``bulk_create`` would; the other columns as in ``insert_select``.
    Instead of one parameter per field of every row, which is most of the time of a ``bulk_create``.
    """
    if not rows:
        return []
    connection = connections[router.db_for_write(model)]
    fields = [model._meta.get_field(name) for name in rows[0]]
    payload = json.dumps(
        [{f.attname: _record_value(f.get_db_prep_save(row[f.attname], connection)) for f in fields} for row in rows]
    )
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        shape = ", ".join(f"{quote(f.attname)} {f.cast_db_type(connection)}" for f in fields)
        source = f"jsonb_to_recordset(%s::jsonb) AS r({shape}) WHERE true"
        selected = {f.attname: f"r.{quote(f.attname)}" for f in fields}
    else:
        source = "json_each(%s) AS r WHERE true"
        selected = {f.attname: f"json_extract(r.value, '$.{f.attname}')" for f in fields}
    sql, params = insert_select(model, selected=selected, source=source, constants=constants, tail=tail)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, payload])
        return cursor.fetchall() if "RETURNING" in tail.upper() else []


#: the ``values_table`` type of each kind of field ``insert_rows`` takes
_VALUES_TYPES = {
    "AutoField": "bigint",
    "BigAutoField": "bigint",
    "BigIntegerField": "bigint",
    "IntegerField": "bigint",
    "PositiveIntegerField": "bigint",
    "PositiveBigIntegerField": "bigint",
    "DecimalField": "numeric",
    "DateTimeField": "timestamptz",
    "CharField": "text",
    "SlugField": "text",
    "EmailField": "text",
    "TextField": "text",
}


def insert_rows(
    model,
    *,
    columns: Sequence[str],
    rows: list[tuple],
    constants: dict[str, object],
    conflict: str = "",
    batch: int = 10_000,
) -> None:
    """Insert ``rows`` (tuples of the attributes ``columns``: ``learner_id``, ``course_id``, …) as
    ``bulk_create`` would, without a model instance or a parameter per value: each ``batch`` of rows is
    one ``INSERT … SELECT`` from ``values_table`` (an array per column on PostgreSQL, one JSON parameter
    on SQLite), the other columns as in ``insert_select`` (constants, defaults, ``auto_now``).

    ``conflict`` is the statement's ``ON CONFLICT …`` clause, if any (``ON CONFLICT DO NOTHING`` is
    ``bulk_create``'s ``ignore_conflicts``). The rows are inserted in their sorted order, so concurrent
    inserts take the unique-index locks in the same order. Text values hold no line breaks (ids,
    validated addresses, codes). Other databases: ``bulk_create`` (``conflict`` read as
    ``ignore_conflicts``).
    """
    if not rows:
        return
    try:
        rows = sorted(rows)  # tuples compared in C: most of this function's own time with a key per row
    except TypeError:  # a None beside a value in a column
        rows = sorted(rows, key=lambda row: tuple((value is None, value) for value in row))
    alias = router.db_for_write(model)
    connection = connections[alias]
    fields = [model._meta.get_field(name) for name in columns]
    if connection.vendor not in {"postgresql", "sqlite"}:
        model._default_manager.using(alias).bulk_create(
            [model(**constants, **dict(zip(columns, row, strict=True))) for row in rows],
            ignore_conflicts=bool(conflict),
            batch_size=batch,
        )
        return
    shape = []
    for field in fields:
        kind = _VALUES_TYPES.get((field.target_field if field.is_relation else field).get_internal_type())
        if kind is None:
            raise ValueError(f"insert_rows cannot carry {model.__name__}.{field.name} ({field.get_internal_type()}).")
        shape.append((f"c{len(shape)}", kind))
    for start in range(0, len(rows), batch):
        source, source_params = values_table(connection, shape, rows[start : start + batch])
        sql, params = insert_select(
            model,
            selected={field.attname: f"v.{name}" for field, (name, _kind) in zip(fields, shape, strict=True)},
            source=f"{source} WHERE true",  # ``WHERE true`` lets SQLite parse an ON CONFLICT after a SELECT
            constants=constants,
            tail=conflict,
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, *source_params])


def _record_value(value):
    """A prepared field value as ``insert_records``' JSON carries it (ISO dates, exact decimals)."""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _int_array(values: list[int]) -> str:
    return "{" + ",".join(map(str, map(int, values))) + "}"  # in C: 50,000 ids a chunk


def _all_ints(values) -> bool:
    return all(map(isinstance, values, repeat(int)))  # in C, no generator frame a value


def text_lines(values: list[str]) -> str:
    """``values`` joined by newlines, one parameter for ``string_to_array(%s, chr(10))``."""
    joined = "\n".join(values)
    # a value with a line break adds one: checked on the joined text, in C, not value by value
    if "\r" in joined or joined.count("\n") > max(len(values) - 1, 0):
        raise ValueError("Values inserted as lines must not hold line breaks.")
    return joined


def values_table(connection, columns: list[tuple[str, str]], rows: list[tuple]) -> tuple[str, list]:
    """``rows`` as a derived table ``v(column, …)`` for ``INSERT … SELECT`` or a join: (SQL, parameters).

    ``columns`` are (name, PostgreSQL type) pairs: ``bigint``, ``integer``, ``numeric``,
    ``timestamptz`` (aware datetimes) or ``text`` (no line breaks, no ``None``). PostgreSQL gets one
    parameter per column, an array literal built here (``{1,2,NULL}``: psycopg's list adaptation
    spends more time than the database on 50,000 values), zipped by ``unnest``; SQLite one JSON
    parameter read by ``json_each``. Either way the rows travel as a fixed number of parameters,
    whatever their number. Names are the caller's identifiers (not user input).
    """
    names = [name for name, _type in columns]
    if connection.vendor == "postgresql":
        arrays, params = [], []
        for index, (_name, sql_type) in enumerate(columns):
            values = [row[index] for row in rows]
            if sql_type == "text" and len(values) == 1:
                arrays.append("ARRAY[%s::text]")  # string_to_array('', …) is an empty array, not ['']
                params.append(text_lines(values))
            elif sql_type == "text":
                arrays.append("string_to_array(%s, chr(10))")
                params.append(text_lines(values))
            else:
                arrays.append(f"%s::{sql_type}[]")
                params.append(_array_literal(values, sql_type))
        return f"unnest({', '.join(arrays)}) AS v({', '.join(names)})", params
    if connection.vendor == "sqlite":
        extracted = ", ".join(f"json_extract(value, '$[{index}]') AS {name}" for index, name in enumerate(names))
        payload = json.dumps([[_json_value(connection, value) for value in row] for row in rows])
        return f"(SELECT {extracted} FROM json_each(%s)) AS v", [payload]  # noqa: S608 (the caller's names)
    raise NotImplementedError(f"values_table supports PostgreSQL and SQLite, not {connection.vendor}.")


def _array_literal(values: list, sql_type: str) -> str:
    if sql_type in {"bigint", "integer"}:
        items = ("NULL" if value is None else str(int(value)) for value in values)
    elif sql_type == "numeric":
        items = ("NULL" if value is None else str(Decimal(value)) for value in values)
    elif sql_type == "timestamptz":
        items = ("NULL" if value is None else f'"{_aware(value).isoformat()}"' for value in values)
    else:
        raise ValueError(f"values_table has no array literal for {sql_type!r}.")
    return "{" + ",".join(items) + "}"


def _aware(value):
    if timezone.is_naive(value):
        raise ValueError(f"{value!r} is naive: timestamptz values must be aware.")
    return value


def _json_value(connection, value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.datetime):
        return connection.ops.adapt_datetimefield_value(value)  # SQLite's text form, in UTC
    return value
