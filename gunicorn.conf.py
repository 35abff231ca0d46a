# Read by gunicorn from its working directory (the Dockerfile's and docker-compose.yml's
# command lines set everything else). The access log masks the calendar feed's secret.
import gc

logger_class = "core.gunicorn_logging.MaskingLogger"

# Load Django once in the master and fork the workers from it: they share the loaded code's
# memory, and gc.freeze() below moves those objects (about 240,000 of them) out of the collector's
# reach, so a full collection in a worker scans only what its requests made. Python's gc docs
# recommend freezing just before fork for this reason (it also spares the shared pages the
# collector's writes, which would copy them).
preload_app = True


def pre_fork(server, worker):
    # Nothing opened in the master may be shared by the workers: no database connection is open
    # after loading the app, but close any that a ready() hook might one day open.
    from django.db import connections

    connections.close_all()
    gc.freeze()
