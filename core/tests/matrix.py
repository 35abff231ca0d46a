from tests.matrix_support import ALL, Row, only

ROWS = [
    Row("core:home", scope="global"),
    Row("core:overview", scope="global"),
    Row("core:account", scope="global"),
    Row("core:provider_detail", ALL, lambda w, s: {"provider": s.provider.slug}, scope="provider"),
    Row("core:service_detail", ALL, lambda w, s: {"service": s.slug}),
    # The service page's parts below the fold, loaded after it: whoever sees the page.
    Row("core:service_panels_below", ALL, lambda w, s: {"service": s.slug, "part": 2}),
    Row("core:service_history", ALL, lambda w, s: {"service": s.slug}),
    # Who looked at what: across the services the reader may see records of; 403 for other roles.
    Row("core:access_records", only("quality", "ni"), scope="global"),
    Row("core:healthz", scope="public"),
    Row("core:readiness", scope="public"),
    Row("login", scope="public"),
    Row("logout", scope="public", method="post"),
    Row("password_change", scope="global"),
    Row("password_change_done", scope="global"),
    Row("password_reset", scope="public"),
    Row("password_reset_done", scope="public"),
    Row("password_reset_confirm", scope="public", kwargs=lambda w, s: {"uidb64": "MQ", "token": "set-password"}),
    Row("password_reset_complete", scope="public"),
]
