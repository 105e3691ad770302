"""WebSocket routes for the live playground."""

from django.urls import path

from playground.consumers import PlaygroundConsumer

websocket_urlpatterns = [
    path("ws/playground/<slug:scenario>/", PlaygroundConsumer.as_asgi()),
]
