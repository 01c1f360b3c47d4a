"""Course-catalog service: the region's course offer behind the Open Education API v5."""
