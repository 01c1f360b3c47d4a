"""Runtime: what runs inside Rasa or starts it (settings, launcher, channels, NLU components,
tracker store, privacy, guard, retention). Tooling is in tools/."""
