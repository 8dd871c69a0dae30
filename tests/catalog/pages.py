"""Helpers for the catalog page tests: read tables and alerts from HTML."""

import html
from html.parser import HTMLParser


class _TableReader(HTMLParser):
    """Collect the text of every table's rows, one list of cells per row."""

    def __init__(self):
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(response) -> list[list[list[str]]]:
    """Every table of the page, each as its rows of cell texts (header first)."""
    reader = _TableReader()
    reader.feed(response.content.decode())
    return reader.tables


def section(response, heading_id: str) -> str:
    """The HTML of the section that the heading with this id labels."""
    content = response.content.decode()
    start = content.index(f'aria-labelledby="{heading_id}"')
    return content[start : content.index("</section>", start)]


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def field_errors(response, form_name: str) -> dict[str, list[str]]:
    return dict(response.context[form_name].errors)


def text(fragment: str) -> str:
    return " ".join(html.unescape(fragment).split())
