from tests.matrix_support import ALL, Row, but, only  # noqa: F401

ROWS: list = []
