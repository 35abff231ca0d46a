from django.urls import path

from . import views

# Included in core's URLs (namespace "core").
urlpatterns = [
    path("account/second-factor/", views.verify, name="mfa_verify"),
    path("account/second-factor/set-up/", views.enrol, name="mfa_enrol"),
    path("account/second-factor/recovery-codes/", views.recovery_codes, name="mfa_recovery_codes"),
    path("account/second-factor/turn-off/", views.turn_off, name="mfa_turn_off"),
]
