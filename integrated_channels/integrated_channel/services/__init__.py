"""Business operations of the channel framework: plain functions with keyword arguments returning
typed results. Commands, tasks and admin actions call these and nothing else.

- ``runs``: start a run under the lock, heartbeat, finish.
- ``transmission``: one run of one configuration (learner data or content metadata).
- ``dispatch``: which configurations to run, in-process or fanned out to Celery workers.
- ``error_report``: a run's error report as CSV.
"""
