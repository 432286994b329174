"""HTML to the words a reader sees: text for the classifiers, and the addresses links hide."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime
from html.parser import HTMLParser

Clock = Callable[[], datetime]

class _TextExtractor(HTMLParser):
    _BREAKS = frozenset({"br", "p", "div", "li", "blockquote", "h1", "h2", "h3", "h4", "tr"})
    _INVISIBLE = frozenset({"script", "style", "title", "template"})
    _VOID = frozenset({"br", "img", "hr", "input", "meta", "link", "wbr", "source", "area"})
    # Links that only point at a person or a tag (their text says it all).
    _NOT_LINKS = frozenset({"mention", "hashtag", "u-url"})

    def __init__(self, skip_classes: frozenset[str] = frozenset()) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._skip = 0
        self._skip_classes = skip_classes
        self._hidden: list[str] = []  # tags open inside an element skipped by its class

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._hidden:
            if tag not in self._VOID:
                self._hidden.append(tag)
            return
        values = dict(attrs)
        classes = set((values.get("class") or "").split())
        if classes & self._skip_classes and tag not in self._VOID:
            self._hidden.append(tag)
            return
        if tag in self._INVISIBLE:
            self._skip += 1
        elif tag in self._BREAKS:
            self.parts.append("\n")
        elif tag == "a":
            href = (values.get("href") or "").strip()
            rel = set((values.get("rel") or "").split())
            if href.startswith(("http://", "https://")) and not (
                classes & self._NOT_LINKS or "tag" in rel
            ):
                self.links.append(href)

    def handle_endtag(self, tag: str) -> None:
        if self._hidden:
            if tag in self._hidden:
                while self._hidden and self._hidden.pop() != tag:
                    pass
            return
        if tag in self._INVISIBLE:
            self._skip = max(0, self._skip - 1)
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip and not self._hidden:
            self.parts.append(data)


def _clean(parts: list[str]) -> str:
    text = "".join(parts)
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment (Mastodon statuses, feed entries)."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return _clean(parser.parts)


def html_text_and_links(
    html: str, skip_classes: Iterable[str] = ()
) -> tuple[str, list[str]]:
    """Visible text of an HTML fragment and the addresses of its links whose address the
    text does not show (``<a href="https://intranet/doc">the doc</a>``), in order, once
    each; links to a mention or a hashtag are not counted. Elements with one of
    ``skip_classes`` are left out whole (Mastodon's ``quote-inline`` "RE: ..." line)."""
    parser = _TextExtractor(frozenset(skip_classes))
    parser.feed(html)
    parser.close()
    text = _clean(parser.parts)
    links = [link for link in dict.fromkeys(parser.links) if link not in text]
    return text, links
