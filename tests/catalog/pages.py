"""Helpers for the catalog page tests: read tables and alerts from HTML."""

import html
import re
from html.parser import HTMLParser


class _TableReader(HTMLParser):
    """Collect every table's caption and the cell texts of its rows."""

    def __init__(self):
        super().__init__()
        self.tables: list[tuple[str, list[list[str]]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append(("", []))
        elif tag == "tr":
            self.tables[-1][1].append([])
        elif tag in ("td", "th", "caption"):
            self._cell = []
        elif tag in ("br", "div", "p") and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag):
        if self._cell is None:
            return
        cell_text = " ".join("".join(self._cell).split())
        if tag in ("td", "th"):
            self.tables[-1][1][-1].append(cell_text)
            self._cell = None
        elif tag == "caption":
            self.tables[-1] = (cell_text, self.tables[-1][1])
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(response) -> list[list[list[str]]]:
    """Every table of the page, each as its rows of cell texts (header first)."""
    reader = _TableReader()
    reader.feed(response.content.decode())
    return [rows for _, rows in reader.tables]


def table(response, caption: str) -> list[list[str]]:
    """The rows below the header of the table with this caption."""
    reader = _TableReader()
    reader.feed(response.content.decode())
    found = [rows for text, rows in reader.tables if text == caption]
    assert len(found) == 1, f"{len(found)} tables have the caption {caption!r}"
    return found[0][1:]


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
    """The words of an HTML fragment, without tags and with entities decoded."""
    words = re.sub(r"<[^>]*>", " ", fragment.split(">", 1)[-1])
    return " ".join(html.unescape(words).split())
