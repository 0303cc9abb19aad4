"""Business operations of the enterprise app: plain functions with keyword arguments returning
typed results. Admin views, API views, tasks and management commands call these and nothing else.
"""
