"""Tool errors. Each is something the caller (a person or a model) can act on."""

from ledger.errors import StewardError


class ToolError(StewardError):
    """A request the caller can fix: a bad argument, an empty period, a missing estimate."""


class ScopeError(ToolError):
    """The thing asked for is outside the caller's scope. Says nothing about whether it exists."""

    def __init__(self, kind: str, name: str, own: str | None = None) -> None:
        super().__init__(
            f"{kind} '{name}' is not in your scope. Ask about your own {own or kind + 's'}, "
            "or ask a FinOps Lead if you need wider access."
        )


class NotAllowed(ToolError):
    """The caller's persona may not use this tool."""


class UnknownCaller(StewardError):
    """The person is not in the registry."""

    def __init__(self, who: str) -> None:
        super().__init__(
            f"{who} is not in the Steward registry. Ask your FinOps Lead to add you to the org file "
            "(people: with your email and role) and run `steward org apply`."
        )
