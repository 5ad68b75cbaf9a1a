"""X's v2 webhooks and Account Activity subscriptions: how Herald's webhook is registered with the
app and each connected account is subscribed to it.

- Register a webhook: `POST /2/webhooks` with `{"url": ...}`, the app's bearer token (OAuth 2.0
  app only); X runs a CRC against the URL before answering
  (https://docs.x.com/x-api/webhooks/create-webhook, https://docs.x.com/x-api/webhooks/introduction).
  A URL the app registered already is refused with `DuplicateUrlFailed`; the app's webhooks are
  listed by `GET /2/webhooks` (https://docs.x.com/x-api/webhooks/get-webhook).
- Re-validate the webhook: X runs the CRC again every hour and marks a webhook that fails it
  invalid (`valid: false` in `GET /2/webhooks`), after which it delivers nothing;
  `PUT /2/webhooks/:webhook_id`, no body, the app's bearer token, has X run the CRC at once and
  answers `{"data": {"attempted": true}}`; a CRC that fails is refused (`CrcValidationFailed`)
  (https://docs.x.com/x-api/webhooks/validate-webhook,
  https://docs.x.com/x-api/webhooks/introduction, https://docs.x.com/x-api/webhooks/quickstart).
- Subscribe an account: `POST /2/account_activity/webhooks/:webhook_id/subscriptions/all`, body
  `{}`, with the user's own access token: the subscription is for the authenticating user
  (https://docs.x.com/x-api/account-activity/create-subscription,
  https://docs.x.com/x-api/account-activity/quickstart).
- Unsubscribe: `DELETE /2/account_activity/webhooks/:webhook_id/subscriptions/:user_id/all` with
  the app's bearer token (https://docs.x.com/x-api/account-activity/delete-subscription).
"""

from typing import Any

import httpx

from functions.publish.adapters.platforms.base import Permanent, TokenSet, send
from functions.publish.adapters.platforms.x import API_BASE, PLATFORM, describe


class XAccountActivity:
    def __init__(self, *, bearer_token: str, http: httpx.AsyncClient, api_base: str = API_BASE):
        self._app_auth = {"Authorization": f"Bearer {bearer_token}"}
        self._http = http
        self._api = api_base.rstrip("/")

    async def _json(self, request: httpx.Request) -> Any:
        response = await send(PLATFORM, self._http, request, describe)
        try:
            return response.json()
        except ValueError:
            raise Permanent(PLATFORM, "X answered with something other than JSON.") from None

    async def register_webhook(self, url: str) -> str:
        """The new webhook's id; a URL the app registered before is refused (`Permanent`)."""
        body = await self._json(
            self._http.build_request(
                "POST", f"{self._api}/2/webhooks", json={"url": url}, headers=self._app_auth
            )
        )
        # The reference's example is the bare webhook config; X's v2 answers usually wrap their
        # object in `data`: both are read.
        config = body.get("data", body) if isinstance(body, dict) else None
        if not isinstance(config, dict) or not config.get("id"):
            raise Permanent(PLATFORM, "X registered the webhook but sent no id.")
        return str(config["id"])

    async def _webhooks(self) -> list[dict[str, Any]]:
        """The app's webhooks, each with its `id`, `url` and `valid`."""
        body = await self._json(
            self._http.build_request(
                "GET",
                f"{self._api}/2/webhooks",
                params={"webhook_config.fields": "id,url,valid"},
                headers=self._app_auth,
            )
        )
        configs = body.get("data") if isinstance(body, dict) else None
        return [
            config
            for config in (configs if isinstance(configs, list) else [])
            if isinstance(config, dict) and config.get("id")
        ]

    async def find_webhook(self, url: str) -> str | None:
        for config in await self._webhooks():
            if config.get("url") == url:
                return str(config["id"])
        return None

    async def webhook_valid(self, webhook_id: str) -> bool | None:
        """Whether X holds the webhook valid; None when X does not list it (any more)."""
        for config in await self._webhooks():
            if str(config["id"]) == webhook_id:
                return config.get("valid") is True
        return None

    async def revalidate_webhook(self, webhook_id: str) -> None:
        """Has X run the CRC against the webhook now; refused when the CRC fails."""
        body = await self._json(
            self._http.build_request(
                "PUT", f"{self._api}/2/webhooks/{webhook_id}", headers=self._app_auth
            )
        )
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or data.get("attempted") is not True:
            raise Permanent(PLATFORM, "X did not attempt the webhook's CRC check.")

    async def subscribe(self, webhook_id: str, tokens: TokenSet) -> None:
        body = await self._json(
            self._http.build_request(
                "POST",
                f"{self._api}/2/account_activity/webhooks/{webhook_id}/subscriptions/all",
                json={},
                headers={"Authorization": f"Bearer {tokens.access_token}"},
            )
        )
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or data.get("subscribed") is not True:
            raise Permanent(PLATFORM, "X did not confirm the Account Activity subscription.")

    async def unsubscribe(self, webhook_id: str, user_id: str) -> None:
        await send(
            PLATFORM,
            self._http,
            self._http.build_request(
                "DELETE",
                f"{self._api}/2/account_activity/webhooks/{webhook_id}/subscriptions/{user_id}/all",
                headers=self._app_auth,
            ),
            describe,
        )
