"""Virtual classrooms: instructor-led sessions of a course on the customer's meeting system (issue 19)."""
