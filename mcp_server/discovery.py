"""The answers a client gets when its token is missing or refused: a 401 that names the fix, and
OAuth discovery paths that say, truthfully, that Steward uses static bearer tokens (no OAuth).

IDE clients (Claude Code, VS Code, mcp-remote, the TypeScript SDK) answer a 401 by looking for OAuth
metadata and registering a client. Steward has no authorization server: its protected-resource
metadata (RFC 9728) lists none, and registration, authorization and token endpoints answer with an
OAuth error whose error_description tells the person what to do, which clients show.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import Message, Scope, Send

TOKEN_HELP = ("Steward MCP uses static bearer tokens, not OAuth: ask a Steward operator to run "
              "`steward tokens create --for YOUR_EMAIL` and configure the client to send the header "
              "`Authorization: Bearer <token>`.")
MISSING = "No bearer token was sent. " + TOKEN_HELP
REFUSED = "The bearer token is unknown, revoked, or its person left the registry. " + TOKEN_HELP

METADATA_PREFIXES = ("/.well-known/oauth-protected-resource", "/.well-known/oauth-authorization-server",
                     "/.well-known/openid-configuration")
OAUTH_ENDPOINTS = ("/register", "/authorize", "/token")
DISCOVERY_PATHS = (*METADATA_PREFIXES, *OAUTH_ENDPOINTS)


def is_discovery(path: str) -> bool:
    return path.startswith(METADATA_PREFIXES) or path in OAUTH_ENDPOINTS


def _json(status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]] | None = None) -> tuple[int, bytes, list]:
    data = json.dumps(body).encode()
    return status, data, [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                          (b"cache-control", b"no-store"), *(headers or [])]


def discovery_answer(path: str, resource_url: str) -> tuple[int, bytes, list]:
    """RFC 9728 metadata (no authorization servers), 404 for authorization-server metadata, and an
    OAuth error for registration, authorization and token requests."""
    if path.startswith("/.well-known/oauth-protected-resource"):
        return _json(200, {"resource": resource_url, "resource_name": "Bedrock Steward",
                           "authorization_servers": [], "bearer_methods_supported": ["header"],
                           "resource_documentation": "docs/mcp.md in the Steward repository",
                           "steward_token_help": TOKEN_HELP})
    if path.startswith(METADATA_PREFIXES):
        return _json(404, {"error": "not_found", "error_description": TOKEN_HELP})
    return _json(400, {"error": "invalid_request", "error_description": TOKEN_HELP})


def www_authenticate(description: str) -> bytes:
    # RFC 6750: error_description is printable ASCII without quotes or backslashes
    text = description.replace('"', "'").replace("\\", "/")
    return f'Bearer error="invalid_token", error_description="{text}"'.encode()


async def send_answer(send: Send, answer: tuple[int, bytes, list]) -> None:
    status, data, headers = answer
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


def explain_401(scope: Scope, send: Send) -> Send:
    """Wrap `send`: a 401 from the SDK's bearer check goes out with Steward's reason and fix instead."""
    sent_token = any(k == b"authorization" and v.strip() for k, v in scope.get("headers") or [])
    description = REFUSED if sent_token else MISSING
    state = {"replacing": False}

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] == 401:
            state["replacing"] = True
            status, data, headers = _json(401, {"error": "invalid_token", "error_description": description},
                                          [(b"www-authenticate", www_authenticate(description))])
            state["body"] = data
            await send({"type": "http.response.start", "status": status, "headers": headers})
            return
        if state["replacing"] and message["type"] == "http.response.body":
            if not message.get("more_body"):
                await send({"type": "http.response.body", "body": state["body"]})
            return
        await send(message)

    return wrapped
