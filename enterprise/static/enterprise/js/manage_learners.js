/*
 * Manage Learners page.
 * - Course ID and Program ID are pickers: typing part of a title or id lists matching catalog
 *   entries (a <datalist> filled from the catalog_search URL); a full id typed or pasted works too.
 * - Course ID and Program ID exclude each other: filling one disables the other.
 * - Filling Course ID loads that course's modes from the catalog into "Course Enrollment Mode";
 *   filling Program ID (or emptying Course ID) resets the choices to all modes.
 *   The server validates the mode again and lists the available modes when it is wrong.
 * - "Select all" checkboxes and confirmations of unlink / delete.
 */
(function () {
  "use strict";

  function setOptions(select, modes, keep) {
    const current = keep ? select.value : "";
    select.innerHTML = "";
    const blank = document.createElement("option");
    blank.value = "";
    blank.textContent = "---------";
    select.appendChild(blank);
    modes.forEach(function (mode) {
      const option = document.createElement("option");
      option.value = mode;
      option.textContent = mode;
      select.appendChild(option);
    });
    select.value = modes.indexOf(current) >= 0 ? current : (modes.length === 1 ? modes[0] : "");
  }

  const pickerTimers = new WeakMap();
  const pickerRequests = new WeakMap();

  // Fill the input's <datalist> with the catalog entries matching what was typed; then call done(ids).
  function suggest(input, url, done) {
    const list = document.getElementById(input.getAttribute("list"));
    const query = input.value.trim();
    const mine = (pickerRequests.get(input) || 0) + 1;
    pickerRequests.set(input, mine);
    if (!list || !url || query.length < 2) {
      if (done) { done([]); }
      return;
    }
    const params = new URLSearchParams({kind: input.dataset.picker, q: query});
    fetch(url + "?" + params.toString(), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.json(); })
      .then(function (body) {
        if (pickerRequests.get(input) !== mine) {
          return;
        }
        list.innerHTML = "";
        const ids = [];
        (body.results || []).forEach(function (entry) {
          const option = document.createElement("option");
          option.value = entry.id;
          option.label = entry.detail ? entry.title + " — " + entry.detail : entry.title;
          option.textContent = option.label;
          list.appendChild(option);
          ids.push(entry.id);
        });
        if (done) { done(ids, body.results || []); }
      })
      .catch(function () { if (done) { done([]); } });
  }

  function initPicker(input, url, done) {
    input.addEventListener("input", function () {
      clearTimeout(pickerTimers.get(input));
      pickerTimers.set(input, setTimeout(function () { suggest(input, url, done); }, 200));
    });
  }

  function looksLikeId(kind, value) {
    if (kind === "program") {
      return /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(value);
    }
    return /^course-v1:[^+\s]+\+[^+\s]+\+[^+\s]+$/.test(value) || /^[^/\s]+\/[^/\s]+\/[^/\s]+$/.test(value);
  }

  function initEnrollment(form) {
    const course = form.querySelector("input[name=course_id]");
    const program = form.querySelector("input[name=program_id]");
    const mode = form.querySelector("select[name=course_mode]");
    const status = document.getElementById("course-mode-status");
    if (!course || !program || !mode) {
      return;
    }
    const allModes = (mode.dataset.allModes || "").split(" ").filter(Boolean);
    const url = form.dataset.courseModesUrl;
    let request = 0;

    function say(text, isError) {
      status.textContent = text;
      status.classList.toggle("error", Boolean(isError));
    }

    function loadCourseModes(keep) {
      const courseId = course.value.trim();
      const mine = ++request;
      if (!courseId) {
        setOptions(mode, allModes, keep);
        delete mode.dataset.courseId;
        say("");
        return;
      }
      say("Loading the modes of " + courseId + "…");
      fetch(url + "?course_id=" + encodeURIComponent(courseId), {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) { return response.json().then(function (body) { return {ok: response.ok, body: body}; }); })
        .then(function (answer) {
          if (mine !== request) {
            return;
          }
          if (!answer.ok) {
            setOptions(mode, allModes, keep);
            delete mode.dataset.courseId;
            say(answer.body.error || "Unknown course.", true);
            return;
          }
          // A late answer for the course already loaded (the change event and the picker's
          // suggestion both ask) keeps the mode the user has chosen since.
          setOptions(mode, answer.body.modes, keep || mode.dataset.courseId === answer.body.course_id);
          mode.dataset.courseId = answer.body.course_id;
          say("Modes of " + answer.body.title + ": " + answer.body.modes.join(", "));
        })
        .catch(function () {
          if (mine === request) {
            setOptions(mode, allModes, keep);
            say("Could not load the course modes; the server will check the mode.", true);
          }
        });
    }

    function sync(keep) {
      const hasCourse = course.value.trim() !== "";
      const hasProgram = program.value.trim() !== "";
      program.disabled = hasCourse;
      course.disabled = hasProgram && !hasCourse;
      if (hasCourse) {
        loadCourseModes(keep);
      } else {
        request++;
        setOptions(mode, allModes, keep);
        delete mode.dataset.courseId;
        say(hasProgram ? "A program: all modes are offered; the server checks that its courses share the mode." : "");
      }
    }

    const searchUrl = form.dataset.catalogSearchUrl;
    course.addEventListener("input", function () {
      program.disabled = course.value.trim() !== "";
      if (!course.value.trim()) {
        sync(false);
      }
    });
    // After the suggestions for what was typed arrived: a chosen (or complete) id loads its modes;
    // otherwise the status line says how many courses match.
    initPicker(course, searchUrl, function (ids) {
      const value = course.value.trim();
      if (!value) {
        return;
      }
      if (value.length < 2 && !looksLikeId("course", value)) {
        request++;
        say("Type at least two letters of the course's title or id.");
        return;
      }
      if (ids.indexOf(value) >= 0 || looksLikeId("course", value)) {
        sync(false);
      } else if (ids.length) {
        request++;
        say(ids.length + (ids.length === 1 ? " course matches" : " courses match") + " “" + value + "”: pick one from the list.");
      } else {
        request++;
        say("No course title or id contains “" + value + "”. Type another part of it, or the full course id.", true);
      }
    });
    course.addEventListener("change", function () { sync(false); });
    program.addEventListener("input", function () { sync(false); });
    initPicker(program, searchUrl, null);
    form.addEventListener("submit", function () {
      // Disabled inputs are not submitted; the empty one carries nothing anyway.
      course.disabled = false;
      program.disabled = false;
    });
    sync(true);
  }

  function initListPickers(url) {
    document.querySelectorAll(".learner-list input[data-picker]").forEach(function (input) {
      initPicker(input, url, null);
    });
  }

  function initLists() {
    document.querySelectorAll(".learner-list input.select-all").forEach(function (box) {
      box.addEventListener("change", function () {
        box.closest("table").querySelectorAll("tbody input[type=checkbox]").forEach(function (row) {
          row.checked = box.checked;
        });
      });
    });
    document.querySelectorAll(".learner-list [data-confirm]").forEach(function (button) {
      button.addEventListener("click", function (event) {
        const checked = button.form.querySelectorAll("tbody input[type=checkbox]:checked").length;
        if (!checked) {
          event.preventDefault();
          window.alert("Select at least one learner first.");
        } else if (!window.confirm(button.dataset.confirm)) {
          event.preventDefault();
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    const form = document.getElementById("link-learners-form");
    if (form) {
      initEnrollment(form);
      initListPickers(form.dataset.catalogSearchUrl);
    }
    initLists();
  });
})();
