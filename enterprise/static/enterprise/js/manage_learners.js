/*
 * Manage Learners page.
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
            say(answer.body.error || "Unknown course.", true);
            return;
          }
          setOptions(mode, answer.body.modes, keep);
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
        say(hasProgram ? "A program: all modes are offered; the server checks that its courses share the mode." : "");
      }
    }

    let timer = null;
    course.addEventListener("input", function () {
      program.disabled = course.value.trim() !== "";
      clearTimeout(timer);
      timer = setTimeout(function () { sync(false); }, 300);
    });
    course.addEventListener("change", function () { clearTimeout(timer); sync(false); });
    program.addEventListener("input", function () { sync(false); });
    form.addEventListener("submit", function () {
      // Disabled inputs are not submitted; the empty one carries nothing anyway.
      course.disabled = false;
      program.disabled = false;
    });
    sync(true);
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
    }
    initLists();
  });
})();
