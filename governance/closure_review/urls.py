from django.urls import path

from governance.closure_review import views

urlpatterns = [
    path("closure-review/", views.closure_queue, name="closure_queue"),
    path("closure-review/<int:pk>/", views.closure_review, name="closure_review"),
    path("closure-review/<int:pk>/decide/", views.closure_decide, name="closure_decide"),
    path("closure-review/<int:pk>/ask/", views.closure_request_evidence, name="closure_request_evidence"),
]
