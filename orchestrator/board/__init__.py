"""`orch board`: a live web view of the plan (kanban, dependency graph, milestones, receipts, metrics).

`model` builds the page's JSON from the same reads `orch status` uses, `live` watches the state's
change stamps, `app` is the Starlette application (read-only unless actions are allowed), `guard`
its security rules, `serve` runs it on loopback, `export` writes the page as static files. Nothing
here is imported on the hook path.
"""
