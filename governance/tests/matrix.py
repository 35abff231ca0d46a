"""Who may use each governance URL (see tests/matrix_support.py). Review pages: matrix_reviews.py."""

from governance.tests.factories import FlagFactory
from governance.tests.matrix_packs import ROWS as PACK_ROWS
from governance.tests.matrix_reviews import ROWS as REVIEW_ROWS
from tests.matrix_support import ALL, Row, only

# Provider-wide roles see the provider dashboard; handling flags needs HANDLE_FLAGS.
LEADERS = only("quality", "ni", "board")
HANDLERS = only("rm", "deputy", "lead", "quality", "ni")


def _flag(w, s):
    return {"pk": FlagFactory(service=s, provider=s.provider).pk}


ROWS = [
    Row("governance:flag_list", ALL, lambda w, s: {"service": s.slug}),
    Row("governance:provider_flag_list", ALL, lambda w, s: {"provider": s.provider.slug}, scope="provider"),
    Row("governance:flag_detail", ALL, _flag),
    Row("governance:flag_acknowledge", HANDLERS, _flag, method="post", data=lambda w, s: {"note": "Checked it."}),
    Row("governance:provider_dashboard", LEADERS, lambda w, s: {"provider": s.provider.slug}, scope="provider"),
]

ROWS = [*ROWS, *REVIEW_ROWS, *PACK_ROWS]
