# Read by gunicorn from its working directory (the Dockerfile's and docker-compose.yml's
# command lines set everything else). The access log masks the calendar feed's secret.
logger_class = "core.gunicorn_logging.MaskingLogger"
