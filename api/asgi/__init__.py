"""What works below FastAPI's router: uvicorn's HTTP protocol, the middlewares, and the routes
answered straight from ASGI."""
