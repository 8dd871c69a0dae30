"""Turn what a user typed into a PostgreSQL tsquery that never fails.

The text goes to `websearch_to_tsquery`, which accepts any input: quoted
phrases, `or` and a leading `-` for "not". Two changes come first, to match
how documents are indexed (`catalog.search.indexing`):
- a word with inner separators (`address.city`, `/raw/orders`) becomes a quoted
  phrase of its parts, so its parts must follow each other;
- the last word, while it is being typed (no space or quote after it), matches
  as a prefix: `cust` finds `customer`.
"""

import re
from dataclasses import dataclass

from catalog.search.indexing import SEPARATORS

_SEPARATOR_RUN = re.compile(f"[{re.escape(SEPARATORS)}]+")
# A quoted phrase (possibly unterminated) or a run of other characters.
_TOKEN = re.compile(r'"[^"]*"?|[^\s"]+')
# What PostgreSQL's parser splits words on, underscore included.
_NON_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class ParsedQuery:
    # Text for websearch_to_tsquery('simple', ...), "" when there is none.
    websearch: str
    # A to_tsquery('simple', ...) expression for the word being typed, or "".
    prefix: str

    @property
    def is_empty(self) -> bool:
        return not self.websearch and not self.prefix


def _phrase_of(token: str) -> str:
    negated = token.startswith("-")
    body = token[1:] if negated else token
    parts = [part for part in _SEPARATOR_RUN.split(body) if part]
    if len(parts) < 2:
        return token
    return ("-" if negated else "") + '"' + " ".join(parts) + '"'


def _lexeme(word: str) -> str:
    return "'" + word.lower().replace("'", "''") + "'"


def _prefix_expression(token: str) -> str:
    """A tsquery of the token's words in sequence, the last one as a prefix."""
    words = [word for word in _NON_WORD.split(token) if word]
    if not words:
        return ""
    lexemes = [_lexeme(word) for word in words]
    lexemes[-1] += ":*"
    return " <-> ".join(lexemes)


def parse_query(text: str) -> ParsedQuery:
    tokens = _TOKEN.findall(text)
    typing_last_word = (
        bool(tokens)
        and not text[-1:].isspace()
        and not tokens[-1].startswith(("-", '"'))
        and tokens[-1].lower() != "or"
    )
    prefix = ""
    if typing_last_word:
        prefix = _prefix_expression(tokens[-1])
        if prefix:
            tokens = tokens[:-1]
    converted = []
    for token in tokens:
        if token.startswith('"'):
            converted.append(_SEPARATOR_RUN.sub(" ", token))
        else:
            converted.append(_phrase_of(token))
    websearch = " ".join(converted)
    if not _NON_WORD.sub("", websearch):
        websearch = ""
    return ParsedQuery(websearch=websearch, prefix=prefix)


def tsquery_sql(parsed: ParsedQuery) -> tuple[str, list[str]]:
    """SQL for the tsquery of `parsed`, and its parameters."""
    parts, params = [], []
    if parsed.websearch:
        parts.append("websearch_to_tsquery('simple', %s)")
        params.append(parsed.websearch)
    if parsed.prefix:
        parts.append("to_tsquery('simple', %s)")
        params.append(parsed.prefix)
    return " && ".join(parts), params
