"""Leadflow's mark, the favicon of every page it serves (the console, the pages behind an
email's buttons, capture's own pages, make dev's pages): browsers ask every site for one,
and a missing icon is a 404 in every log. One source, written into each page as a data
URI (the pages' CSPs allow `img-src data:`), so no page makes a second request for it."""

from __future__ import annotations

from urllib.parse import quote

FAVICON_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
               '<rect width="32" height="32" rx="7" fill="#0b5fff"/>'
               '<path d="M7 9h18l-7 8v6l-4 2v-8z" fill="#fff"/></svg>')  # a funnel: leads in, customers out
FAVICON_DATA_URI = "data:image/svg+xml," + quote(FAVICON_SVG, safe="=:/'")
FAVICON_LINK = f'<link rel="icon" type="image/svg+xml" href="{FAVICON_DATA_URI}">'
