"""Errors a user can act on. Each message says what is wrong and what to do."""


class StewardError(Exception):
    """Base for every error Steward reports to a person."""


class StoreError(StewardError):
    """The DuckDB store cannot be opened or is in an unexpected state."""


class StoreLocked(StoreError):
    """Another process holds the store file (DuckDB's lock)."""


class IngestError(StewardError):
    """A CUR source cannot be ingested; the store was left unchanged."""

    def __init__(self, file: str, problem: str) -> None:
        self.file = file
        self.problem = problem
        super().__init__(f"{file}: {problem}")


class RegistryError(StewardError):
    """The org file (governance as code) is invalid; `where` names the place in the file."""

    def __init__(self, where: str, problem: str) -> None:
        self.where = where
        self.problem = problem
        super().__init__(f"{where}: {problem}" if where else problem)


class AuditError(StewardError):
    """The audit log's hash chain is broken."""
