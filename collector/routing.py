from django.urls import path

from collector.consumers import SessionStreamConsumer, StudyMonitorConsumer

websocket_urlpatterns = [
    path("ws/sessions/<uuid:session_uuid>/stream/", SessionStreamConsumer.as_asgi()),
    path("ws/studies/<slug:slug>/monitor/", StudyMonitorConsumer.as_asgi()),
]
