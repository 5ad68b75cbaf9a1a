"""Each platform's webhook parsing (docs/inbox.md); `parsers.PARSERS` names them by platform."""
