"""All websocket routes, one list per app."""
from collector.routing import websocket_urlpatterns as collector_ws

websocket_urlpatterns = [*collector_ws]
