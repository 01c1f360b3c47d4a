"""tests/scale/test_scale.py starts PostgreSQL, Redis, nginx and two Rasa servers: it runs with
`make test-scale` (which installs those from Debian's packages), not in the plain pytest run."""

import os

collect_ignore = [] if os.environ.get("LEERWIJZER_SCALE_TEST") == "1" else ["test_scale.py"]
