from django.urls import path

from recovery.learning import views as learning

urlpatterns = [
    path("learning/<int:pk>/share/", learning.learning_share, name="learning_share"),
    path("shared-learning/<int:pk>/answer/", learning.learning_share_respond, name="learning_share_respond"),
]
