"""The SAP SuccessFactors channel (``SAP``): completions as OCN learning events, courses as OCN courses."""
