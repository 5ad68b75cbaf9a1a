"""DynamoDB items and AWS adapters of the webhooks group."""
