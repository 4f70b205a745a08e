"""RSS, Atom and JSON Feed: blogs and news sites."""
