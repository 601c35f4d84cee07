"""The front door's routers, one per room; each route declares its guard (``web.guards``)."""
