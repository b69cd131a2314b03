"""One exception family: the CLI turns any HarnessError into a one-line message and exit code."""


class HarnessError(Exception):
    """An expected failure with a message fit for one line on stderr."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.hint = hint

    def one_line(self) -> str:
        msg = " ".join(str(self).split())
        return f"{msg} ({self.hint})" if self.hint else msg


class NotFound(HarnessError):
    """A report, run, program or agent that the store does not hold."""


class ParseError(HarnessError):
    """A report (or review) that cannot be parsed at all."""


class StoreError(HarnessError):
    """The DuckDB file cannot be opened, is locked by another process, or is damaged."""


class ModelError(HarnessError):
    """Unknown model, dead endpoint, or an error budget exhausted."""


class GateFailed(HarnessError):
    """Not an error: the regression gate verdict was 'fail'."""

    exit_code = 1
