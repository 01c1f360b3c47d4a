"""Walking-skeleton budget service: health and the list of schemes.

The budget issue adds one YAML file per scheme, validation and `/v1/eligibility`.
"""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI(
    title="Leerwijzer budget",
    version="0.1.0",
    description="Which learning budgets and schemes fit a person, with sources.",
)

SCHEMES = [
    {
        "id": "stap-budget",
        "name": "STAP-budget",
        "summary": "Het STAP-budget bestaat niet meer. Het is gestopt op 1 januari 2024.",
        "status": "closed",
        "source_urls": [
            "https://www.rijksoverheid.nl/onderwerpen/leven-lang-ontwikkelen/stap-budget"
        ],
        "checked_on": "2026-11-27",
    }
]


@app.get("/health")
def health() -> dict:
    return {"status": "ok", "schemes": len(SCHEMES)}


@app.get("/v1/schemes")
def list_schemes() -> dict:
    return {"schemes": SCHEMES}
