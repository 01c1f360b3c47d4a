"""Tooling, not runtime: training, validation, the terminal shell, generators of data files,
the NLU report, the benchmarks and the scale harness. Run from the project root
(`python -m tools.<name>`); the production image carries none of it (deploy/docker/Dockerfile).
"""
