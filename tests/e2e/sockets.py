"""A bare socket.io client of the app's websocket, as an attacker (or another tab) would be."""

from __future__ import annotations

import time

import aiohttp
from reflex import constants


async def listen_with_token(base_url: str, token: str, seconds: float) -> str:
    """Everything the server sends a socket that presents this tab token and no cookie."""
    socket_url = base_url.replace("http", "ws", 1) + "/_event/?EIO=4&transport=websocket"
    received: list[str] = []
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(
            f"{socket_url}&token={token}",
            headers={"Origin": base_url},
            protocols=(constants.Reflex.VERSION,),
        ) as socket,
    ):
        await socket.receive(timeout=10)
        await socket.send_str("40/_event,")
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = await socket.receive(timeout=left)
            except TimeoutError:
                break
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            if message.data == "2":  # the engine's ping
                await socket.send_str("3")
            received.append(message.data)
    return "\n".join(received)
