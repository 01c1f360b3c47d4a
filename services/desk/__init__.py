"""The advisors' desk: live hand-over, call-back queue and sign-in (docs/desk.md)."""
