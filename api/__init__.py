"""The HTTP side of SatuPintu: the FastAPI application, its routers and pages, the ASGI pieces
below them, and the operator CLI."""
