"""The API's pages in the authorisation matrix. The token-authenticated endpoints under
``/api/v1/`` are not pages (401, not a redirect, signed out): ``api/tests/test_access.py``
checks them for every persona with the same expectations."""

from tests.matrix_support import Row

ROWS = [
    Row("api:tokens", scope="global"),
    Row("api:schema", scope="public"),
    Row("api:docs", scope="public"),
]
