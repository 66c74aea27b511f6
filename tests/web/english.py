"""English on a Chinese page: the text a reader sees or hears (text outside
script and style; title, placeholder, aria-label, alt; a button's value)
that holds a Latin word of two or more letters outside `ALLOWED` (file
formats and names that stay Latin in Chinese offices) and outside data (a
chunk holding digits, @, /, . or _ is a user name, an address, a file name
or a code). Read from the server's HTML by tests/web/test_chinese_pages.py
and from the browser's DOM by the role walks."""

import re
from html.parser import HTMLParser

# Latin words a Chinese page may show: formats, products, the language switch,
# and the keys and systems Django's own Chinese names (按住 Control 键或 Mac 上的 Command 键; LDAP).
ALLOWED = {
    "PDF",
    "Word",
    "Excel",
    "XLSX",
    "CSV",
    "WPS",
    "API",
    "English",
    "GB",
    "chinesecalendar",
    "Control",
    "Mac",
    "Command",
    "LDAP",
}
# Text that is data, not interface: the world's marks and codes.
# *: a secret shown masked; <unknown>: what a client did not say; ": a record's raw JSON (an event's data).
DATA = re.compile(r'[0-9@/._:*<"]|MARK-|mark-')
WORD = re.compile(r"[A-Za-z]{2,}")
SPOKEN = ("title", "placeholder", "aria-label", "alt")


class _Text(HTMLParser):
    """The text a reader sees or hears: text outside script and style, the
    spoken attributes, and the value a button shows."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._skip += 1
        attrs = dict(attrs)
        for name in SPOKEN:
            if attrs.get(name):
                self.parts.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button", "reset") and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def english(html: str, data: frozenset = frozenset()) -> list[str]:
    """The texts of a page that hold an English word (not one of `data`: the user names)."""
    parser = _Text()
    parser.feed(html)
    found = []
    for part in parser.parts:
        words = [
            word
            for chunk in part.split()
            if not DATA.search(chunk.rstrip(":：;；,，"))  # "Label:" is a label, not data
            for word in WORD.findall(chunk)
            if word not in ALLOWED and chunk.strip(";；,，:：。") not in data
        ]
        if words and " ".join(part.split())[:100] not in found:
            found.append(" ".join(part.split())[:100])
    return found


# Half-width punctuation touching Chinese text ("率: 100%", "(牵头)"); a
# colon between digits (09:00) or a comma in a number is not.
_HALF_BESIDE_CHINESE = re.compile(r"[\u4e00-\u9fff][,;:?!()]|[()][\u4e00-\u9fff]")


def half_width(html: str) -> list[str]:
    """The texts of a page where half-width punctuation touches Chinese."""
    parser = _Text()
    parser.feed(html)
    found = []
    for part in parser.parts:
        text = " ".join(part.split())
        for match in _HALF_BESIDE_CHINESE.finditer(text):
            found.append(text[max(0, match.start() - 12) : match.end() + 12])
    return found[:12]
