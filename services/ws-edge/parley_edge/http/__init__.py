"""The public HTTP side of the edge: routes, cookies and sessions, origin checks, request
limits and the h11 protocol that enforces them, and refusals as JSON."""
