"""HTTP routers, one module per OOAPI resource."""
