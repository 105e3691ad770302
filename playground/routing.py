"""WebSocket routes for the live playground."""

from django.urls import path

from playground.consumers import ExperimentConsumer, PlaygroundConsumer

websocket_urlpatterns = [
    path("ws/playground/<slug:scenario>/", PlaygroundConsumer.as_asgi()),
    path("ws/experiment/<int:run_id>/", ExperimentConsumer.as_asgi()),
]
