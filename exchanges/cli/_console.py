"""rich plumbing for the CLI: one way to build tables and turn renderables into text.

Tables are :class:`rich.table.Table` objects with a simple header rule; :func:`format_table` renders
one to plain text (no colour codes) so commands, pipes and tests see the same aligned columns.
Widths default to the terminal's, capped at :data:`MAX_WIDTH` so everything fits an 80x24 terminal.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Sequence

from rich import box
from rich.console import Console, RenderableType
from rich.table import Table

__all__ = ["MAX_WIDTH", "build_table", "format_table", "render_plain", "terminal_size"]

MAX_WIDTH = 80
"""Columns every screen is laid out for (wider terminals get the same layout)."""


def terminal_size() -> tuple[int, int]:
    """(columns, lines) of the terminal, 80x24 when unknown (pipes, files)."""
    size = shutil.get_terminal_size((MAX_WIDTH, 24))
    return size.columns, size.lines


def build_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    numeric_from: int = 99,
    wrap: bool = False,
    keep_whole: Sequence[int] = (0,),
    compact: bool = False,
) -> Table:
    """A rich table: ``headers`` then ``rows``; columns from index ``numeric_from`` are right-aligned;
    ``wrap`` lets long cells wrap (else they are cut with an ellipsis), except the ``keep_whole``
    columns (ids users copy), which are never wrapped or cut. ``compact`` separates columns by one
    space instead of three (wide tables that must fit 80 columns)."""
    table = Table(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        highlight=False,
        padding=(0, 0) if compact else (0, 1),
    )
    for index, header in enumerate(headers):
        whole = index in keep_whole
        table.add_column(
            header,
            justify="right" if index >= numeric_from else "left",
            no_wrap=whole or not wrap,
            overflow="fold" if wrap and not whole else "ellipsis",
            min_width=max((len(str(row[index])) for row in rows), default=0) if whole else None,
        )
    for row in rows:
        table.add_row(*(str(cell) for cell in row))
    return table


def render_plain(renderable: RenderableType, width: int | None = None) -> str:
    """``renderable`` as plain text lines (no ANSI codes), at most ``width`` columns."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width or min(terminal_size()[0], MAX_WIDTH),
        color_system=None,
        force_terminal=False,
        highlight=False,
        emoji=False,
        soft_wrap=False,
    )
    console.print(renderable)
    return "\n".join(line.rstrip() for line in buffer.getvalue().rstrip("\n").splitlines())


def format_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    numeric_from: int = 99,
    wrap: bool = False,
    compact: bool = False,
) -> str:
    """An aligned text table drawn by rich (header, rule, rows)."""
    return render_plain(build_table(headers, rows, numeric_from=numeric_from, wrap=wrap, compact=compact))
