"""One request's calls to the AI model: each charged to the workspace's budget before it is made
and counted after (`ai_usage`), with the fence and brand voice of the request's prompts.

Importing this module loads `openai` (through `ai_endpoint`): only AI code paths import it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from functions.shared import ai_endpoint, ai_usage
from functions.shared.ai_models import AiCallUsage, BrandVoice
from functions.shared.ai_prompting import Fence, avoided_words_in
from functions.shared.ai_setup import ChatMessage, Completion, Endpoint, Task, endpoint_for
from functions.shared.brand_voice import brand_voice_of

SystemPrompt = Callable[[Fence, BrandVoice], ChatMessage]


@dataclass
class AiSession:
    workspace_id: str
    endpoint: Endpoint
    fence: Fence
    voice: BrandVoice
    system: ChatMessage
    completions: list[Completion] = field(default_factory=list)

    @classmethod
    def open(
        cls, workspace_id: str, system_prompt: SystemPrompt, task: Task = "text"
    ) -> "AiSession":
        """503 before anything else when `task`'s model is not configured."""
        endpoint = endpoint_for(task)
        voice = brand_voice_of(workspace_id)
        fence = Fence.new()
        return cls(workspace_id, endpoint, fence, voice, system_prompt(fence, voice))

    def ask(self, messages: list[ChatMessage]) -> str:
        """The model's answer, stripped; 429 when the month's budget is spent."""
        completion = self.charged(
            lambda endpoint: ai_endpoint.complete(endpoint, messages), lambda done: done
        )
        return completion.text.strip()

    def charged[Answer](
        self, call: Callable[[Endpoint], Answer], completion_of: Callable[[Answer], Completion]
    ) -> Answer:
        """What `call` answers from the endpoint, charged to the budget before the call (429
        when the month's is spent) and its usage (`completion_of` the answer) counted after."""
        ai_usage.reserve_call(self.workspace_id)
        answer = call(self.endpoint)
        completion = completion_of(answer)
        ai_usage.record(self.workspace_id, completion)
        self.completions.append(completion)
        return answer

    def avoided_words_in(self, text: str) -> list[str]:
        return avoided_words_in(self.voice, text)

    @property
    def usage(self) -> AiCallUsage:
        return ai_usage.usage_of(self.completions)
