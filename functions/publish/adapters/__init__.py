"""Platform adapters, token storage and DynamoDB items of the publish group."""
