"""Pointing a URL at a proxy: same scheme, path and query, the proxy's host and port."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def rewrite_url(url: str, host: str, port: int) -> str:
    """``url`` with its network location replaced by ``host:port`` (userinfo dropped).

    >>> rewrite_url("ws://127.0.0.1:8800/ws?listenKey=k", "127.0.0.1", 9000)
    'ws://127.0.0.1:9000/ws?listenKey=k'
    """
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"not an absolute URL: {url!r}")
    return urlunsplit((parts.scheme, f"{host}:{port}", parts.path, parts.query, parts.fragment))
