"""Version 1 of the enterprise REST API (DESIGN §9)."""
