"""Standalone HTTP services. They know nothing of Rasa and would serve any client."""
