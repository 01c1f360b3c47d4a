"""Rasa-side code: settings, process launcher, training, channel connectors and NLU components."""
