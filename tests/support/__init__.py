"""Helpers shared by the test folders, each written once.

artifacts.py     where tests write screenshots and reports (var/, or docs/ when asked)
binaries.py      programs besides Python (node, redis-server, PostgreSQL): skip, or fail
                 under `make test` (LEERWIJZER_REQUIRE_BINARIES=1)
ports.py         free_port(): a free loopback port
redis_server.py  a throwaway redis-server
stack.py         the whole stack on free ports, and a Citizen on its REST channel
tracked.py       a test run must not change tracked files
"""
