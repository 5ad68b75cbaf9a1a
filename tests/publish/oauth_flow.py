"""Herald's side of an OAuth 2.0 login, as the connection tests walk it: start it, come back
from the platform with a code, and X's answers for the token and the user."""

from urllib.parse import parse_qs, urlparse

from fastapi.testclient import TestClient

from functions.shared.settings import get_settings

X_TOKEN = {
    "token_type": "bearer",
    "expires_in": 7200,
    "access_token": "x-access-token-value",
    "scope": "tweet.read tweet.write users.read offline.access media.write",
    "refresh_token": "x-refresh-token-value",
}
X_ME = {"data": {"id": "2244994945", "name": "Herald", "username": "heraldhq"}}


def start(
    publish: TestClient, headers: dict[str, str], platform: str = "x"
) -> dict[str, list[str]]:
    response = publish.post(f"/v1/accounts/connect/{platform}", headers=headers)
    assert response.status_code == 200, response.text
    return parse_qs(urlparse(response.json()["authorization_url"]).query)


def come_back(publish: TestClient, platform: str = "x", **query: str) -> dict[str, str]:
    response = publish.get(f"/v1/accounts/callback/{platform}", params=query)
    assert response.status_code == 302, response.text
    location = urlparse(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}" == get_settings().dashboard_url
    assert location.path == "/accounts/connect"
    return {name: values[0] for name, values in parse_qs(location.query).items()}
