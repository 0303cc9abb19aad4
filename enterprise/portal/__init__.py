"""The enterprise portal: server-rendered pages for a customer's own administrators (issue 24, decision 0330)."""
