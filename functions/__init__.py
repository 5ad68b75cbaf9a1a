"""Herald's Lambda function groups and the small package they share."""
