"""At sign-in, note what the session still owes (a code, or setting an app up)."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from . import session


@receiver(user_logged_in, dispatch_uid="core.mfa.remember_step_due")
def remember_step_due(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        session.remember(request, user)
