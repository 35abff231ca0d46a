from .urls_measures import urlpatterns as measure_urls
from .urls_plan import urlpatterns as plan_urls

app_name = "recovery"

urlpatterns = [*plan_urls, *measure_urls]
