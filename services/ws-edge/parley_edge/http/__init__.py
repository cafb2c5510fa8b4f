"""The public HTTP side of the edge: routes, cookies and sessions, origin checks, request
limits and the HTTP protocol that enforces them, and refusals as JSON."""
