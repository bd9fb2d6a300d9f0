"""Extract: bytes or text in, a clean :class:`~storybrief.records.Article` out.

* :mod:`.core`: the article in an HTML page or a plain text (:func:`extract_html`,
  :func:`extract_text`), feed boilerplate removed;
* :mod:`.charset`: the text of a page's bytes, its charset sniffed as browsers do
  (:func:`decode_bytes`);
* :mod:`.metadata`: a page's title, authors, date, site, canonical URL and categories, as
  trafilatura finds them, faster;
* :mod:`.limits`: the bounds on what one hostile input may cost (a deadline, HTML attribute
  and element caps).
"""

from .charset import decode_bytes
from .core import extract_html, extract_text, most_precise, strip_feed_boilerplate

__all__ = ["decode_bytes", "extract_html", "extract_text", "most_precise", "strip_feed_boilerplate"]
