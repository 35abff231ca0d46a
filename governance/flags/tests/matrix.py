"""Who may use each flag URL (see tests/matrix_support.py)."""

from governance.flags.tests.factories import FlagFactory
from tests.matrix_support import ALL, Row, only

# Handling flags needs HANDLE_FLAGS.
HANDLERS = only("rm", "deputy", "lead", "quality", "ni")


def _flag(w, s):
    return {"pk": FlagFactory(service=s, provider=s.provider).pk}


ROWS = [
    Row("governance:flag_list", ALL, lambda w, s: {"service": s.slug}),
    Row("governance:provider_flag_list", ALL, lambda w, s: {"provider": s.provider.slug}, scope="provider"),
    Row("governance:flag_detail", ALL, _flag),
    Row("governance:flag_acknowledge", HANDLERS, _flag, method="post", data=lambda w, s: {"note": "Checked it."}),
]
