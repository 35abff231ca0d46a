from django.urls import path

from recovery.measures import views as measures

urlpatterns = [
    path("actions/<int:action_pk>/measures/new/", measures.measure_create, name="measure_create"),
    path("measures/<int:pk>/", measures.measure_detail, name="measure_detail"),
    path("measures/<int:pk>/edit/", measures.measure_edit, name="measure_edit"),
    path("measures/<int:pk>/points/new/", measures.point_add, name="point_add"),
    path("points/<int:pk>/edit/", measures.point_edit, name="point_edit"),
    path("measures/<int:pk>/rebase/", measures.measure_rebase, name="measure_rebase"),
    path("rebases/<int:pk>/remove/", measures.rebase_remove, name="rebase_remove"),
]
