"""Face swap: enrolled faces, the swap region, shape and colour transfer."""
