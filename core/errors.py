"""Error pages that keep the site's look and say what to do next."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # No context processors beyond the bare minimum: the database may be what failed.
    from django.http import HttpResponseServerError
    from django.template import loader

    return HttpResponseServerError(loader.get_template("500.html").render({}))


def preview_404(request):
    raise Http404


def preview_403(request):
    raise PermissionDenied
