"""A fake Moodle site on 127.0.0.1: ``login/token.php`` and the web services REST endpoint.

Strict like Moodle: form POSTs only; ``moodlewsrestformat=json`` or the answer is XML; an unknown
or revoked ``wstoken`` is ``invalidtoken``; a function the service does not allow is
``accessexception``; parameters in PHP array notation, unknown or missing ones are
``invalidparameter``. Errors come back with HTTP 200 as ``{"exception", "errorcode", "message"}``,
like Moodle. Courses: ``core_course_create_courses`` is all-or-nothing (``shortnametaken``,
``courseidnumbertaken``, an unknown category), ``core_course_update_courses`` answers per-course
``warnings``; grades go to an ``assign`` module of the course, out of 100, for known users
(answer 0). A request of more than ``max_input_vars`` fields (PHP's default 1,000; PHP drops the
rest) is refused ``invalidparameter``.
"""

from __future__ import annotations

import itertools
import re
import secrets
from dataclasses import dataclass, field

from tests.fakes.vendor import Refused, Reply, VendorFake

COURSE_FIELDS = {
    "fullname",
    "shortname",
    "categoryid",
    "idnumber",
    "summary",
    "summaryformat",
    "format",
    "startdate",
    "enddate",
    "visible",
}
FUNCTIONS = {
    "core_webservice_get_site_info",
    "core_course_create_courses",
    "core_course_update_courses",
    "core_course_get_courses_by_field",
    "core_course_get_contents",
    "core_user_get_users_by_field",
    "core_grades_update_grades",
}
_KEY = re.compile(r"^([a-z_]+)((?:\[[^\]]*\])*)$")


class MoodleError(Exception):
    def __init__(self, errorcode: str, message: str, exception: str = "moodle_exception"):
        self.errorcode, self.message, self.exception = errorcode, message, exception
        super().__init__(message)


def invalid(message: str) -> MoodleError:
    return MoodleError(
        "invalidparameter", f"Invalid parameter value detected ({message})", "invalid_parameter_exception"
    )


MAX_INPUT_VARS = 1000  # PHP's default: the fields of a request past it are dropped


def unflatten(pairs: dict[str, str]) -> dict:
    """PHP array notation (``courses[0][shortname]``) to nested dicts; numeric keys make lists."""
    root: dict = {}
    for key, value in pairs.items():
        match = _KEY.match(key)
        if not match:
            raise invalid(f"bad key {key}")
        parts = [match[1], *re.findall(r"\[([^\]]*)\]", match[2])]
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise invalid(f"bad key {key}")
        node[parts[-1]] = value
    return _lists(root)


def _lists(node):
    if not isinstance(node, dict):
        return node
    converted = {key: _lists(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        indexes = sorted(int(key) for key in converted)
        if indexes != list(range(len(indexes))):
            raise invalid("array keys must be 0..n-1")
        return [converted[str(index)] for index in indexes]
    return converted


def _int(value, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise invalid(f"{name} must be an integer") from exc


@dataclass
class Site:
    service: str
    username: str
    password: str
    categories: set[int] = field(default_factory=lambda: {1})
    functions: set[str] = field(default_factory=lambda: set(FUNCTIONS))
    courses: dict[int, dict] = field(default_factory=dict)
    modules: dict[int, list[dict]] = field(default_factory=dict)  # course id -> modules of its first section
    users: dict[int, str] = field(default_factory=dict)  # id -> e-mail
    grades: dict[tuple[int, int, int], float] = field(default_factory=dict)  # (course, module, user) -> grade


class FakeMoodle(VendorFake):
    name = "moodle"
    routes = (
        ("POST", r"/login/token\.php", "_token", "token"),
        ("POST", r"/webservice/rest/server\.php", "_rest", "rest"),
    )

    def __init__(self):
        self.site: Site | None = None
        self.tokens: set[str] = set()
        self._ids = itertools.count(101)
        self.functions_called: list[str] = []
        super().__init__()

    def setup(self, *, service="edx", username="ws-user", password="ws-pass") -> Site:  # noqa: S107
        self.site = Site(service, username, password)
        return self.site

    def issue_token(self) -> str:
        value = secrets.token_hex(16)
        self.tokens.add(value)
        return value

    def revoke_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def add_course(self, shortname: str, *, with_grade_assignment: str | None = "(edX integration) Final Grade") -> int:
        course_id = next(self._ids)
        self.site.courses[course_id] = {"id": course_id, "shortname": shortname, "fullname": shortname, "categoryid": 1}
        self.site.modules[course_id] = []
        if with_grade_assignment:
            self.add_assignment(course_id, with_grade_assignment)
        return course_id

    def add_assignment(self, course_id: int, name: str) -> int:
        module_id = next(self._ids)
        self.site.modules[course_id].append({"id": module_id, "name": name, "modname": "assign", "instance": module_id})
        return module_id

    def add_user(self, email: str) -> int:
        user_id = next(self._ids)
        self.site.users[user_id] = email.lower()
        return user_id

    def calls_of(self, function: str) -> int:
        with self.lock:
            return self.functions_called.count(function)

    # Endpoints

    def _form(self, request) -> dict[str, str]:
        if request.content_type != "application/x-www-form-urlencoded":
            raise Refused(400, "Moodle web services take a form (application/x-www-form-urlencoded).", {})
        return {name: values[-1] for name, values in request.form().items()}

    def _token(self, request):
        form = self._form(request)
        site = self.site
        service = request.query.get("service", [""])[-1]
        if set(form) != {"username", "password"}:
            return {"error": "Missing or unexpected parameters", "errorcode": "invalidparameter"}
        if form["username"] != site.username or not secrets.compare_digest(form["password"], site.password):
            return {"error": "Invalid login, please try again", "errorcode": "invalidlogin"}
        if service != site.service:
            return {
                "error": "Web service is not available (it doesn't exist or might be disabled)",
                "errorcode": "servicenotavailable",
            }
        return {"token": self.issue_token(), "privatetoken": None}

    def _rest(self, request):
        form = self._form(request)
        if len(form) > MAX_INPUT_VARS:  # PHP drops the fields past max_input_vars: Moodle sees a broken call
            return {
                "exception": "invalid_parameter_exception",
                "errorcode": "invalidparameter",
                "message": f"Invalid parameter value detected ({len(form)} fields, max_input_vars {MAX_INPUT_VARS})",
            }
        function = form.pop("wsfunction", "")
        token = form.pop("wstoken", "")
        json_format = form.pop("moodlewsrestformat", "") == "json"
        with self.lock:
            self.functions_called.append(function)
        try:
            if token not in self.tokens:
                raise MoodleError("invalidtoken", "Invalid token - token not found")
            if function not in self.site.functions:
                raise MoodleError("accessexception", "Access control exception", "webservice_access_exception")
            params = unflatten(form)
            with self.lock:
                body = getattr(self, f"_{function}")(params)
        except MoodleError as error:
            body = {"exception": error.exception, "errorcode": error.errorcode, "message": error.message}
        if not json_format:
            return Reply(200, "<?xml version='1.0'?><RESPONSE/>", content_type="application/xml")
        return Reply(200, body)

    # Functions

    @staticmethod
    def _only(params: dict, allowed: set[str], required: set[str]) -> None:
        unknown, missing = set(params) - allowed, required - set(params)
        if unknown or missing:
            raise invalid(f"unknown {sorted(unknown)}, missing {sorted(missing)}")

    def _core_webservice_get_site_info(self, params):
        self._only(params, set(), set())
        return {
            "sitename": "Acme Moodle",
            "username": self.site.username,
            "functions": [{"name": name, "version": "2024100700"} for name in sorted(self.site.functions)],
        }

    def _check_course(self, course: dict, *, creating: bool) -> dict:
        allowed = COURSE_FIELDS | ({"id"} if not creating else set())
        required = {"fullname", "shortname", "categoryid"} if creating else {"id"}
        if not isinstance(course, dict):
            raise invalid("courses must be a list of objects")
        self._only(course, allowed, required)
        if "categoryid" in course and _int(course["categoryid"], "categoryid") not in self.site.categories:
            raise MoodleError(
                "invalidrecord",
                "Can't find data record in database table course_categories.",
                "dml_missing_record_exception",
            )
        for name in ("startdate", "enddate", "visible", "summaryformat"):
            if name in course:
                _int(course[name], name)
        if creating and not course["fullname"].strip():
            raise invalid("fullname is empty")
        return course

    def _taken(self, course: dict, except_id: int | None = None) -> None:
        for other in self.site.courses.values():
            if other["id"] == except_id:
                continue
            if other["shortname"] == course.get("shortname"):
                raise MoodleError(
                    "shortnametaken", f"Short name is already used for another course ({other['fullname']})"
                )
            if course.get("idnumber") and other.get("idnumber") == course["idnumber"]:
                raise MoodleError("courseidnumbertaken", "ID number is already used for another course")

    def _core_course_create_courses(self, params):
        self._only(params, {"courses"}, {"courses"})
        courses = [self._check_course(course, creating=True) for course in params["courses"]]
        staged: list[dict] = []
        for course in courses:  # all or nothing, like Moodle's transaction
            self._taken(course)
            if any(other["shortname"] == course["shortname"] for other in staged):
                raise MoodleError("shortnametaken", "Short name is already used for another course")
            staged.append(course)
        created = []
        for course in staged:
            course_id = next(self._ids)
            self.site.courses[course_id] = {"id": course_id, **course, "categoryid": int(course["categoryid"])}
            self.site.modules[course_id] = []
            created.append({"id": course_id, "shortname": course["shortname"]})
        return created

    def _core_course_update_courses(self, params):
        self._only(params, {"courses"}, {"courses"})
        warnings = []
        for course in params["courses"]:
            self._check_course(course, creating=False)
            course_id = _int(course["id"], "id")
            existing = self.site.courses.get(course_id)
            if existing is None:
                warnings.append(
                    {
                        "item": "course",
                        "itemid": course_id,
                        "warningcode": "errorcourseupdate",
                        "message": "Can't find data record in database table course.",
                    }
                )
                continue
            try:
                self._taken({**existing, **course}, except_id=course_id)
            except MoodleError as error:
                warnings.append(
                    {"item": "course", "itemid": course_id, "warningcode": error.errorcode, "message": error.message}
                )
                continue
            existing.update({key: value for key, value in course.items() if key != "id"})
        return {"warnings": warnings}

    def _core_course_get_courses_by_field(self, params):
        self._only(params, {"field", "value"}, {"field", "value"})
        if params["field"] not in ("id", "ids", "shortname", "idnumber", "category"):
            raise invalid("unknown field")
        key = params["field"]
        found = [c for c in self.site.courses.values() if str(c.get(key, "")) == params["value"]]
        return {"courses": found, "warnings": []}

    def _core_course_get_contents(self, params):
        self._only(params, {"courseid"}, {"courseid"})
        course_id = _int(params["courseid"], "courseid")
        if course_id not in self.site.courses:
            raise MoodleError(
                "invalidrecord", "Can't find data record in database table course.", "dml_missing_record_exception"
            )
        return [{"id": 1, "name": "General", "section": 0, "modules": self.site.modules[course_id]}]

    def _core_user_get_users_by_field(self, params):
        self._only(params, {"field", "values"}, {"field", "values"})
        if params["field"] != "email" or not isinstance(params["values"], list):
            raise invalid("field must be email and values a list")
        wanted = {value.lower() for value in params["values"]}
        return [
            {"id": uid, "email": email, "username": email} for uid, email in self.site.users.items() if email in wanted
        ]

    def _core_grades_update_grades(self, params):
        self._only(
            params,
            {"source", "courseid", "component", "activityid", "itemnumber", "grades", "itemdetails"},
            {"source", "courseid", "component", "activityid", "itemnumber"},
        )
        course_id, module_id = _int(params["courseid"], "courseid"), _int(params["activityid"], "activityid")
        if course_id not in self.site.courses:
            raise MoodleError("invalidrecord", "Can't find data record in database table course.")
        if params["component"] != "mod_assign" or _int(params["itemnumber"], "itemnumber") != 0:
            raise invalid("component must be mod_assign and itemnumber 0")
        if module_id not in {module["id"] for module in self.site.modules[course_id]}:
            return 1  # GRADE_UPDATE_FAILED: no such activity in the course
        updates = {}
        for grade in params.get("grades") or []:
            self._only(grade, {"studentid", "grade", "str_feedback"}, {"studentid", "grade"})
            student = _int(grade["studentid"], "studentid")
            try:
                value = float(grade["grade"])
            except ValueError as exc:
                raise invalid("grade must be a number") from exc
            if student not in self.site.users or not 0 <= value <= 100:
                return 1
            updates[(course_id, module_id, student)] = value
        self.site.grades.update(updates)
        return 0
