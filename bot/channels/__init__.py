"""Custom Rasa input channels: WhatsApp Cloud API and Twilio with signature checks."""
