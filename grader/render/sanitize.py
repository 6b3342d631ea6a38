"""Student HTML made safe to show: an allow-list of tags and attributes, and notebooks' outputs filtered.

Everything a submission's notebook carries (outputs, Markdown, raw cells) is
untrusted. ``sanitize_notebook`` keeps only safe output mimetypes and cleans
HTML and Markdown outputs; ``clean_html`` (bleach) keeps only allow-listed
tags and attributes (images only as inline ``data:`` PNG/JPEG/GIF, links only
http(s), mailto and in-page anchors); ``strip_dangerous_blocks`` drops the
content of script-like elements, whose tags alone the cleaner would drop.
"""

from __future__ import annotations

import copy
import re

ALLOWED_TAGS = frozenset(
    [
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "caption",
        "code",
        "col",
        "colgroup",
        "dd",
        "del",
        "details",
        "div",
        "dl",
        "dt",
        "em",
        "figcaption",
        "figure",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "ins",
        "kbd",
        "li",
        "mark",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strong",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "tt",
        "u",
        "ul",
        "var",
    ]
)
_GLOBAL_ATTRIBUTES = {"class", "id", "title"}
_TAG_ATTRIBUTES = {
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start"},
}
#: Output mimetypes rendered as they are (everything else but HTML/Markdown, which are cleaned, is dropped).
SAFE_OUTPUT_KEYS = frozenset({"metadata", "text/plain", "text/latex", "image/png", "image/jpeg", "image/gif"})
_DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|gif);base64,[A-Za-z0-9+/=\s]*$")
_LINK = re.compile(r"^(https?:|mailto:|#)", re.IGNORECASE)


def _attribute_allowed(tag: str, name: str, value: str) -> bool:
    if name in _GLOBAL_ATTRIBUTES:
        return True
    if name not in _TAG_ATTRIBUTES.get(tag, ()):
        return False
    if tag == "img" and name == "src":
        return bool(_DATA_IMAGE.match(value.strip()))
    if tag == "a" and name == "href":
        return bool(_LINK.match(value.strip()))
    return True


#: Prefix of every ``id`` and ``name`` in student HTML (and of in-page links to them), so that
#: none can collide with the report's own ids (``scores``, ``notebook-table``, ``nb-...``).
USER_ID_PREFIX = "a2u-"
#: Classes the report and the summary style: a notebook may not draw with them (a fake "Scores" table).
_REPORT_CLASS = re.compile(r"^(a2(-.*)?|num|heat|rate|rate-bg|qplot|qbar|bar|extra)$")


def _own_names_filter():
    """A bleach (html5lib) filter: student ids and names prefixed, the report's classes dropped."""
    from bleach.html5lib_shim import Filter

    class OwnNames(Filter):
        def __iter__(self):
            for token in super().__iter__():
                if token.get("type") in ("StartTag", "EmptyTag") and token.get("data"):
                    token["data"] = _own_names(token["data"])
                yield token

    return OwnNames


def _own_names(attrs):
    out = type(attrs)()
    for key, value in attrs.items():
        name = key[1] if isinstance(key, tuple) else key
        if name in ("id", "name") and not value.startswith(USER_ID_PREFIX):
            value = USER_ID_PREFIX + value
        elif name == "href" and value.startswith("#") and not value.startswith("#" + USER_ID_PREFIX):
            value = "#" + USER_ID_PREFIX + value[1:]
        elif name == "class":
            value = " ".join(c for c in value.split() if not _REPORT_CLASS.match(c))
            if not value:
                continue
        out[key] = value
    return out


def clean_html(markup: str) -> str:
    """Keep only allow-listed tags and attributes; drop scripts, handlers, iframes, remote images.

    Ids and names get ``USER_ID_PREFIX`` and the report's own classes are dropped.
    """
    import bleach

    cleaner = bleach.sanitizer.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=_attribute_allowed,
        protocols={"http", "https", "mailto", "data"},
        strip=True,
        strip_comments=True,
        filters=[_own_names_filter()],
    )
    return cleaner.clean(markup)


def strip_dangerous_blocks(markup: str) -> str:
    """Drop the *content* of script/style/iframe-like elements (the cleaner drops only their tags)."""
    return re.sub(
        r"<(script|style|iframe|object|embed|template|noscript|textarea|svg|math)\b.*?</\1\s*>",
        "",
        markup,
        flags=re.IGNORECASE | re.DOTALL,
    )


def sanitize_notebook(nb):
    """A copy of ``nb`` whose outputs carry only safe mimetypes, with HTML and Markdown outputs cleaned."""
    from nbconvert.preprocessors.sanitize import SanitizeHTML

    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    sanitizer = SanitizeHTML(
        safe_output_keys=set(SAFE_OUTPUT_KEYS),
        sanitized_output_types={"text/html", "text/markdown"},
        tags=sorted(ALLOWED_TAGS),
        attributes=_attribute_allowed,
        strip=True,
        strip_comments=True,
    )
    for cell in nb.cells:
        if cell.cell_type == "code":
            for output in cell.get("outputs", []):
                data = output.get("data")
                if data:
                    for key in ("text/html", "text/markdown"):
                        if key in data:
                            data[key] = strip_dangerous_blocks("".join(data[key]))
            kept = sanitizer.sanitize_code_outputs(cell.outputs)
            # an output left with no data (a widget, a script) would render as a warning
            cell.outputs = [
                o for o in kept if o.get("output_type") not in ("display_data", "execute_result") or o.get("data")
            ]
        elif cell.cell_type == "raw":
            cell.source = sanitizer.sanitize_html_tags(strip_dangerous_blocks(cell.source))
        cell.get("metadata", {}).pop("attachments", None)
    return nb
