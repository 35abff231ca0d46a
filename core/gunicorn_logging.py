"""gunicorn's access log with the calendar feed's secret masked (see core/log_filters.py).

gunicorn.conf.py at the project root names this class; gunicorn reads that file from its
working directory on start, so the Dockerfile's and docker-compose.yml's command lines need no
change. Imports nothing from Django: the gunicorn master loads it before the app.
"""

from __future__ import annotations

from gunicorn.glogging import Logger

from core.log_filters import mask


class MaskingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "{raw_uri}e", "{path_info}e", "{request_uri}e"):
            if isinstance(atoms.get(key), str):
                atoms[key] = mask(atoms[key])
        return atoms
