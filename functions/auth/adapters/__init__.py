"""DynamoDB items, the token signer and avatar storage of the identity group."""
