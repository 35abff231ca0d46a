from tests.matrix_support import Row

# Personas have no second factor (test settings require none): the code page sends them on,
# the set-up page is theirs to use, and the account buttons say there is nothing to change.
ROWS = [
    Row("core:mfa_verify", scope="global"),
    Row("core:mfa_enrol", scope="global"),
    Row("core:mfa_recovery_codes", scope="global", method="post"),
    Row("core:mfa_turn_off", scope="global", method="post"),
]
