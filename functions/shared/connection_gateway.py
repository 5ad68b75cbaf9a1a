"""Sending to WebSocket connections through the API Gateway Management API.

The same boto3 client in AWS (the stage's callback URL) and locally (the local server answers
`POST /@connections/{connectionId}` for its own WebSocket route), so both take one code path.
"""

from functions.shared import aws


def send(connection_id: str, data: bytes) -> bool:
    """Send one message; False when the gateway answers 410 Gone (the client went away)."""
    client = aws.apigateway_management()
    try:
        client.post_to_connection(ConnectionId=connection_id, Data=data)
    except client.exceptions.GoneException:
        return False
    return True
