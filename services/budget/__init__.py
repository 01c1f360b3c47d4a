"""Budget service: which learning budgets and schemes fit a person, as dated rules with sources."""
