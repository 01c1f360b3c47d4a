"""Custom Rasa graph components. Files here are part of the model fingerprint."""
