"""Chat completions from the configured OpenAI-compatible endpoint, through the `openai` package.

Only AI code paths import this module (the composer, when a route needs a model): importing
`openai` costs more than a second, which no other request and no cold start should pay
(DESIGN section 10; `tests/publish/test_ai_provider.py` checks the publish app loads without it).
The client and the key are made once per warm container.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import openai
from openai.types.chat import (
    ChatCompletionAssistantMessageParam,
    ChatCompletionMessageParam,
    ChatCompletionSystemMessageParam,
    ChatCompletionUserMessageParam,
)

from functions.publish.domain.ai_setup import AiEndpointFailed, ChatMessage, Completion, Endpoint
from functions.shared import aws

# One retry of the client's own (connection errors, 429, 5xx, honouring Retry-After), within the
# timeout; the composer's attempts are about content, not transport.
CLIENT_RETRIES = 1


@cache
def _secret_key(secret_id: str) -> str:
    return aws.secretsmanager().get_secret_value(SecretId=secret_id)["SecretString"].strip()


@cache
def _client(base_url: str, api_key: str, timeout_seconds: float) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=base_url, api_key=api_key, timeout=timeout_seconds, max_retries=CLIENT_RETRIES
    )


def _message(message: ChatMessage) -> ChatCompletionMessageParam:
    if message.role == "system":
        return ChatCompletionSystemMessageParam(role="system", content=message.content)
    if message.role == "assistant":
        return ChatCompletionAssistantMessageParam(role="assistant", content=message.content)
    return ChatCompletionUserMessageParam(role="user", content=message.content)


def client_of(endpoint: Endpoint) -> openai.OpenAI:
    """The warm container's client of `endpoint`, with its key (read from its secret once)."""
    api_key = _secret_key(endpoint.api_key_secret) if endpoint.api_key_secret else endpoint.api_key
    return _client(endpoint.base_url, api_key, endpoint.timeout_seconds)


@contextmanager
def refusals(endpoint: Endpoint) -> Iterator[None]:
    """Turn the endpoint's failures into 502s naming its status only: providers echo parts of
    the key and of the prompt in their error bodies, and neither may reach a response or a log.
    """
    try:
        yield
    except openai.APIStatusError as error:
        raise AiEndpointFailed(
            f"The AI endpoint answered HTTP {error.status_code}; check its key, model and quota."
        ) from None
    except openai.APITimeoutError:
        raise AiEndpointFailed(
            f"The AI endpoint did not answer within {endpoint.timeout_seconds:g} s."
        ) from None
    except openai.APIError:
        raise AiEndpointFailed(
            "The AI endpoint could not be reached or answered "
            "something that is not a chat completion."
        ) from None


def complete(endpoint: Endpoint, messages: list[ChatMessage]) -> Completion:
    """The model's answer to `messages`; 502 when the endpoint fails."""
    with refusals(endpoint):
        answer = client_of(endpoint).chat.completions.create(
            model=endpoint.model, messages=[_message(message) for message in messages]
        )
    if not answer.choices:
        raise AiEndpointFailed("The AI endpoint answered without a choice.")
    usage = answer.usage
    return Completion(
        text=answer.choices[0].message.content or "",
        prompt_tokens=usage.prompt_tokens if usage else 0,
        completion_tokens=usage.completion_tokens if usage else 0,
    )
