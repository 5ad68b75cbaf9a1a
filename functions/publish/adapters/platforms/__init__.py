"""One adapter per social platform, all behind the interface in `base`."""
