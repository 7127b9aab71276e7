"""Page arithmetic shared by every paged list (Teammates, sync history, signature history,
Delivery links, the export API)."""

from __future__ import annotations

import math


def page_count(total: int, size: int) -> int:
    """How many pages of `size` items `total` items fill; an empty list still has one page."""
    return max(1, math.ceil(total / size))


def clamp_page(page: int, total: int, size: int) -> int:
    """`page` kept between the first and the last page (a page past the end shows the last one)."""
    return min(max(1, page), page_count(total, size))
