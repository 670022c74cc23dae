from django.urls import path

from collector.views import capture

app_name = "capture"

urlpatterns = [
    path("studies/<slug:slug>/monitor/", capture.study_monitor, name="monitor"),
]
