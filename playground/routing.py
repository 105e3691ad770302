"""WebSocket routes for the live playground."""

from django.urls import path, re_path

from playground.consumers import ExperimentConsumer, NotFoundConsumer, PlaygroundConsumer

websocket_urlpatterns = [
    path("ws/playground/<slug:scenario>/", PlaygroundConsumer.as_asgi()),
    path("ws/experiment/<int:run_id>/", ExperimentConsumer.as_asgi()),
    re_path(r"", NotFoundConsumer.as_asgi()),  # any other path: closed with 4404, no traceback
]
