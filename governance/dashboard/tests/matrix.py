"""Who may see the provider dashboard: provider-wide roles (see tests/matrix_support.py)."""

from tests.matrix_support import Row, only

LEADERS = only("quality", "ni", "board")

ROWS = [
    Row("governance:provider_dashboard", LEADERS, lambda w, s: {"provider": s.provider.slug}, scope="provider"),
]
