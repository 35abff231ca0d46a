from django.conf import settings
from django.utils.functional import SimpleLazyObject

from . import permissions as policy
from .panels import nav_links


def navigation(request):
    """Site name and, lazily (one query when a template uses it), the user's services."""
    user = getattr(request, "user", None)
    return {
        "SITE_NAME": settings.SITE_NAME,
        "nav_services": SimpleLazyObject(lambda: list(policy.services(user).order_by("name")) if user else []),
        "nav_links": SimpleLazyObject(lambda: nav_links(user) if user and user.is_authenticated else []),
    }
