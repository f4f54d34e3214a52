"""The routers, one concern each; none imports another (helpers they share are in api/web)."""
