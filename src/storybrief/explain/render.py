"""An explainer as readers and programs get it: plain text (the product's page layout),
Markdown, an HTML fragment, or JSON.

Plain text follows the explainer page exactly: "What is the story about?", each section's
heading on its own line and its sentences as one paragraph, then "AI Generated Content" and
"Do you find this article useful?". Citations are left out unless asked for, as ``[1:3]``:
source 1 (its number in the source list), sentence 3 (counting from 1).

HTML escapes everything it prints (source text is never rendered as markup); citations are
small numbered links to the source list whose ``title`` shows the cited sentence.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import Literal
from urllib.parse import urlsplit

from ..records import Article, Citation, Explainer, ExplainerSentence, SourceArticle, cited_text

INTRO = "What is the story about?"
AI_LABEL = "AI Generated Content"
FEEDBACK_PROMPT = "Do you find this article useful?"

Format = Literal["text", "markdown", "html", "json"]
FORMATS: tuple[str, ...] = ("text", "markdown", "html", "json")


MIXED = "These reports tell of more than one event; this explainer tells one of them."


def mixed_note(explainer: Explainer) -> str | None:
    """What readers are told first when the story's reports tell more than one event (the
    explainer's ``recluster`` flag): which one this explainer tells, what became of the
    other; None for a story of one event."""
    flag = explainer.recluster
    return None if flag is None else flag.note or MIXED


def _marker(explainer: Explainer, citation: Citation) -> str:
    """``[article:sentence]``: the stored article's id and the sentence's index, numbered as
    ``storybrief show ARTICLE --sentences`` and the JSON number them (from 0)."""
    return f"[{citation.article_id}:{citation.sentence_index}]"


def _markers(explainer: Explainer, sentence: ExplainerSentence) -> str:
    return "".join(_marker(explainer, c) for c in sentence.citations)


def to_text(explainer: Explainer, *, citations: bool = False, headline: bool = False) -> str:
    """The explainer page as plain text (no trailing newline, like the example page).
    ``citations`` appends ``[article:sentence]`` markers; ``headline`` prints it first."""
    lines = [explainer.headline] if headline else []
    if note := mixed_note(explainer):
        lines.append(note)
    lines.append(INTRO)
    for section in explainer.sections:
        lines.append(section.title)
        if section.sentences:
            parts = []
            for sentence in section.sentences:
                mark = _markers(explainer, sentence) if citations else ""
                parts.append(f"{sentence.text} {mark}" if mark else sentence.text)
            lines.append(" ".join(parts))
        else:
            lines.append(section.note or "")
    lines += [AI_LABEL, FEEDBACK_PROMPT]
    return "\n".join(lines)


def _md_escape(text: str) -> str:
    """Keep source text literal in Markdown: no accidental emphasis, links or HTML."""
    out = []
    for ch in text:
        if ch in "\\`*_[]<>#|":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def to_markdown(explainer: Explainer, *, citations: bool = True) -> str:
    """Markdown: the headline as a title, a heading per section, citations as ``[1]``
    references to the numbered source list at the end."""
    lines = [f"# {_md_escape(explainer.headline)}", ""]
    if note := mixed_note(explainer):
        lines += [f"> {_md_escape(note)}", ""]
    lines += [f"*{INTRO}*", ""]
    for section in explainer.sections:
        lines += [f"## {section.title}", ""]
        if section.sentences:
            parts = []
            for sentence in section.sentences:
                text = _md_escape(sentence.text)
                if citations:
                    numbers = sorted(
                        {
                            n
                            for c in sentence.citations
                            if (n := explainer.source_number(c.article_id)) is not None
                        }
                    )
                    text += "".join(f" [{n}]" for n in numbers)
                parts.append(text)
            lines.append(" ".join(parts))
        else:
            lines.append(f"*{_md_escape(section.note or '')}*")
        lines.append("")
    if explainer.sources:
        lines += ["## Sources", ""]
        for n, source in enumerate(explainer.sources, 1):
            lines.append(f"{n}. {_md_source(source)}")
        lines.append("")
    lines += [f"*{AI_LABEL}*", "", FEEDBACK_PROMPT, ""]
    return "\n".join(lines)


def web_url(url: str | None) -> str | None:
    """Only http(s) URLs become links (no javascript:, data: ...)."""
    if not url:
        return None
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    return url if scheme in ("http", "https") else None


def _md_source(source: SourceArticle) -> str:
    title = _md_escape(source.title or source.url or f"article {source.id}")
    url = web_url(source.url)
    text = f"[{title}](<{url.replace('>', '%3E')}>)" if url else title
    details = [d for d in (source.outlet, _date(source.published_at)) if d]
    return text + (f" — {_md_escape(', '.join(details))}" if details else "")


def _date(when: datetime | None) -> str | None:
    return when.date().isoformat() if when is not None else None


def to_html(
    explainer: Explainer,
    articles: Sequence[Article] | None = None,
    *,
    headline: bool = True,
    sources: bool = True,
) -> str:
    """An HTML fragment (one ``<article>`` element). ``articles``, when given, supply the
    cited sentences for the citation links' ``title`` tooltips."""
    e = escape
    out = ['<article class="storybrief-explainer">']
    if headline:
        out.append(f'<h2 class="sb-headline">{e(explainer.headline)}</h2>')
    if note := mixed_note(explainer):
        out.append(f'<p class="sb-mixed" role="note">{e(note)}</p>')
    out.append(f'<p class="sb-intro">{e(INTRO)}</p>')
    for section in explainer.sections:
        out.append(f'<section class="sb-section" data-section="{e(section.key)}">')
        out.append(f"<h3>{e(section.title)}</h3>")
        if section.sentences:
            parts = [_html_sentence(explainer, s, articles) for s in section.sentences]
            out.append(f"<p>{' '.join(parts)}</p>")
        else:
            out.append(f'<p class="sb-note">{e(section.note or "")}</p>')
        out.append("</section>")
    if sources and explainer.sources:
        out.append('<ol class="sb-sources">')
        for n, source in enumerate(explainer.sources, 1):
            title = e(source.title or source.url or f"article {source.id}")
            url = web_url(source.url)
            link = (
                f'<a href="{e(url)}" rel="nofollow noopener noreferrer">{title}</a>'
                if url
                else title
            )
            details = ", ".join(d for d in (source.outlet, _date(source.published_at)) if d)
            extra = f' <span class="sb-outlet">{e(details)}</span>' if details else ""
            out.append(f'<li id="sb-source-{n}">{link}{extra}</li>')
        out.append("</ol>")
    out.append(f'<p class="sb-label">{e(AI_LABEL)}</p>')
    out.append(f'<p class="sb-feedback">{e(FEEDBACK_PROMPT)}</p>')
    out.append("</article>")
    return "\n".join(out)


def _html_sentence(
    explainer: Explainer, sentence: ExplainerSentence, articles: Sequence[Article] | None
) -> str:
    e = escape
    attrs = f' data-verdict="{e(sentence.verdict)}"' if sentence.verdict else ""
    cites = []
    for citation in sentence.citations:
        number = explainer.source_number(citation.article_id)
        label = _marker(explainer, citation).strip("[]")
        quoted = cited_text(citation, articles) if articles is not None else None
        title = quoted if quoted is not None else f"source {label}"
        href = f"#sb-source-{number}" if number is not None else "#"
        cites.append(
            f'<sup class="sb-cite"><a href="{href}" title="{e(title)}">{e(str(number or "?"))}'
            "</a></sup>"
        )
    return f'<span class="sb-sentence"{attrs}>{e(sentence.text)}{"".join(cites)}</span>'


def to_json(explainer: Explainer, *, indent: int | None = 2) -> str:
    """The explainer's JSON form (valid against ``schema/explainer.schema.json``)."""
    return json.dumps(explainer.model_dump(mode="json"), indent=indent, ensure_ascii=False)


def render(
    explainer: Explainer,
    format: Format = "text",
    *,
    articles: Sequence[Article] | None = None,
    citations: bool = False,
) -> str:
    """Render in the named format ("text", "markdown", "html" or "json")."""
    if format == "text":
        return to_text(explainer, citations=citations)
    if format == "markdown":
        return to_markdown(explainer)
    if format == "html":
        return to_html(explainer, articles)
    if format == "json":
        return to_json(explainer)
    raise ValueError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
