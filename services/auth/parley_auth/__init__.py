"""Parley's auth service: registers users, checks passwords, issues and ends sessions.

It answers `auth.<verb>` requests in the `auth` queue group and publishes
`auth.evt.session_ended` when a session ends.
"""
