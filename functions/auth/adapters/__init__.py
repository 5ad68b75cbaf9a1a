"""DynamoDB items, the token signer, the mailer and avatar storage of the identity group."""
