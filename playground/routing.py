"""WebSocket routes for the live playground."""

websocket_urlpatterns: list = []
