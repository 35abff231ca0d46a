from .matrix_measures import ROWS as MEASURE_ROWS
from .matrix_plan import ROWS as PLAN_ROWS

ROWS = [*PLAN_ROWS, *MEASURE_ROWS]
