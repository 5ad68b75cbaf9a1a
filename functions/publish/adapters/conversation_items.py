"""Items of the AI strategist: each person's conversations in a workspace, and their messages.

WS#<workspace>   CHAT#<actor>#<conversation>        a conversation: title, count of messages
WS#<workspace>   CHATMSG#<conversation>#<message>   one message (a question or an answer)

Conversation and message ids are ULIDs, so a person's conversations, and a conversation's
messages, read in the order they were made from one query of their sort-key prefix.
"""

from typing import Self

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from functions.shared.identity_items import FindableItem
from functions.shared.tables import key


class ConversationItem(FindableItem):
    conversation_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    actor = UnicodeAttribute()  # whose it is: `user:<id>` or `api_key:<id>`
    title = UnicodeAttribute(null=True)  # null until given or generated from the first exchange
    title_source = UnicodeAttribute(null=True)  # given, generated
    message_count = NumberAttribute(default=0)

    @staticmethod
    def keys(workspace_id: str, actor: str, conversation_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("CHAT", actor, conversation_id)

    @staticmethod
    def prefix(actor: str) -> str:
        return key("CHAT", actor) + "#"

    @classmethod
    def find(cls, workspace_id: str, actor: str, conversation_id: str) -> Self | None:
        return cls.find_key(*cls.keys(workspace_id, actor, conversation_id))


class ChatMessageItem(FindableItem):
    message_id = UnicodeAttribute()
    conversation_id = UnicodeAttribute()
    role = UnicodeAttribute()  # user, assistant
    content = UnicodeAttribute()
    tools = JSONAttribute(null=True)  # the tool calls behind an answer: [{name, ok}]
    drafts = JSONAttribute(null=True)  # post ids of drafts an answer created

    @staticmethod
    def keys(workspace_id: str, conversation_id: str, message_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("CHATMSG", conversation_id, message_id)

    @staticmethod
    def prefix(conversation_id: str) -> str:
        return key("CHATMSG", conversation_id) + "#"
