"""`orch mcp`: orch as a stdio MCP server (the official MCP Python SDK), for any MCP client.

It serves mcp-task-orchestrator's six tools, argument-compatible (compat.py), and orch's own
(native.py), over the same library functions the CLI calls: behind both the plan is binding
(order, leases, gates, receipts). The SDK is imported here only, never on the hooks' path.
"""
