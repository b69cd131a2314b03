"""Keep credentials out of everything the harness writes (DB rows, logs, reports, cache keys).

Keys reach litellm only through the environment (or the placeholder for a keyless local
endpoint); nothing we build contains them. Provider error messages can still echo a key, so
every string the runner stores passes through `redact`, which blanks the value of each
credential-looking environment variable and anything shaped like a bearer token.
"""

from __future__ import annotations

import os
import re
from typing import Any

_SECRET_NAME = re.compile(r"(API_KEY|_TOKEN|SECRET|PASSWORD|ACCESS_KEY)", re.I)
# anchored on a literal first character so that long texts scan in linear time
_TOKEN_SHAPE = re.compile(r"(?<![A-Za-z0-9])(?:sk-[A-Za-z0-9_\-]{12,}|Bearer\s+[A-Za-z0-9_\-\.=]{12,})")
_URL_USERINFO = re.compile(r"(?<![A-Za-z0-9+.\-])([A-Za-z][A-Za-z0-9+.\-]{0,15}://)[^/@\s]+@")
MASK = "***"


_CONFIGURED: set[str] = set()  # credentials met outside the environment (an endpoint URL's userinfo)


def remember_url_credentials(url: str | None) -> None:
    """Treat the user:password of an endpoint URL as secrets from now on (a proxy may echo them)."""
    from urllib.parse import urlsplit

    if not url or "@" not in url:
        return
    try:
        parts = urlsplit(url)
    except ValueError:
        return
    _CONFIGURED.update(v for v in (parts.username, parts.password) if v and len(v) >= 8)


def secret_values() -> list[str]:
    vals = {v for k, v in os.environ.items() if _SECRET_NAME.search(k) and v and len(v) >= 8} | _CONFIGURED
    return sorted(vals, key=len, reverse=True)


def redact(value: Any) -> Any:
    """The value with secrets masked: strings, and strings nested in dicts / lists."""
    if isinstance(value, str):
        out = value
        for secret in secret_values():
            if secret in out:
                out = out.replace(secret, MASK)
        out = _TOKEN_SHAPE.sub(MASK, out)
        return _URL_USERINFO.sub(r"\1" + MASK + "@", out)
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact(v) for v in value)
    return value
