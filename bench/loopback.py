"""An httpx transport that sends every platform call to a fake platform on loopback."""

import httpx


class ToLoopback(httpx.AsyncBaseTransport):
    """Sends every request to 127.0.0.1:`port`, keeping its path, query and body."""

    def __init__(self, port: int) -> None:
        # Plain HTTP to loopback: no TLS, so no CA bundle to load. The default would load it for
        # every client, tens of milliseconds of CPU per platform call that Herald's own clients
        # do not spend (they share one TLS context), and a benchmark would count it against
        # Herald.
        self._inner = httpx.AsyncHTTPTransport(verify=False)
        self._port = port

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self._port)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()
