"""The sections of a product page that every reader sees alike, kept in the cache.

Most of a product page is the same for every reader: the description, owners,
service level, attainment chart, trust summary, ports with their contracts and
features. Rendering them costs about twenty queries and most of the page's
time, so they are rendered once and kept in the shared cache (`CACHE_URL`) for
`CATALOG_PAGE_CACHE_SECONDS`. What depends on the reader (whether they may edit
it, the related products they may see, the access request form) is never
cached.

Each product has a version stamp in the cache, and its sections are stored
under it. A change gives the product a new stamp twice: at once, so the rest
of the same transaction reads fresh sections, and after the commit, so that
sections a concurrent reader rendered from the rows before the commit are
never read again. Changes through the models' `save` and `delete` are caught
by signals (`catalog.page_cache_receivers`); services that update in bulk call
`product_pages_changed` themselves. What lineage changes without a catalog
write (freshness, failed runs, schema changes) is refreshed when the
`ports_changed` task checks the ports that new events touched, and in any case
once the entry expires.
"""

import functools
import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from uuid import uuid4

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from catalog.trust import ProductTrust

logger = logging.getLogger(__name__)


@functools.cache
def _code_digest() -> str:
    """Digest of this module and of the templates the sections are drawn with.

    Part of every key, so that a release which changes what the sections hold
    never reads entries that the release before it stored.
    """
    # NOTE: template tags and filters are not in the digest, so a release that
    # changes only them serves older sections until the entries expire.
    digest = hashlib.blake2b(Path(__file__).read_bytes(), digest_size=6)
    for app in ("catalog", "lineage"):
        folder = Path(apps.get_app_config(app).path) / "templates"
        for template in sorted(folder.rglob("*.html")):
            digest.update(template.read_bytes())
    return digest.hexdigest()


VERSION_KEY = "catalog:product-page-version:{}"
SECTIONS_KEY = "catalog:product-page:{digest}:{product}:{version}"


@dataclass(frozen=True)
class ProductSections:
    """HTML of each cached section, and the trust figures behind the summary.

    The trust summary is rendered per request from `trust`, because it shows how
    long ago the product was last updated.
    """

    overview_html: str
    ports_html: str
    features_html: str
    trust: ProductTrust

    def trust_at(self, now) -> ProductTrust:
        """Return the trust figures with the freshness age as of `now`."""
        if self.trust.freshness_age is None:
            return self.trust
        last_update = self.trust.now - self.trust.freshness_age
        return replace(self.trust, now=now, freshness_age=now - last_update)


def _new_stamp() -> str:
    return uuid4().hex


def _version(product_id: int) -> str:
    key = VERSION_KEY.format(product_id)
    version = cache.get(key)
    if version is None:
        version = _new_stamp()
        # Another process may set the first stamp at the same moment: keep
        # whichever was stored.
        if not cache.add(key, version, timeout=None):
            version = cache.get(key) or version
    return version


def product_sections(
    product_id: int, render: Callable[[], ProductSections]
) -> ProductSections:
    """Return the product's cached sections, rendering and storing them on a miss.

    The cache is an optimisation: when it fails, the sections are rendered.
    """
    try:
        key = SECTIONS_KEY.format(
            digest=_code_digest(), product=product_id, version=_version(product_id)
        )
        sections = cache.get(key)
    except Exception:  # noqa: BLE001 - a broken cache must not break the page
        logger.exception("Reading the page cache of product %s failed", product_id)
        return render()
    if sections is not None:
        return sections
    sections = render()
    try:
        cache.set(key, sections, timeout=settings.CATALOG_PAGE_CACHE_SECONDS)
    except Exception:  # noqa: BLE001
        logger.exception("Storing the page cache of product %s failed", product_id)
    return sections


def _restamp(product_ids: list[int]) -> None:
    try:
        cache.set_many(
            {VERSION_KEY.format(pk): _new_stamp() for pk in product_ids},
            timeout=None,
        )
    except Exception:  # noqa: BLE001 - entries still expire on their own
        logger.exception("Expiring the page cache of products %s failed", product_ids)


def product_pages_changed(product_ids: Iterable[int]) -> None:
    """Make the next reads of these products' pages render them again."""
    ids = sorted({pk for pk in product_ids if pk is not None})
    if not ids:
        return
    _restamp(ids)
    transaction.on_commit(lambda: _restamp(ids))
