"""The smoke test ECS runs as a deployment lifecycle hook (`handler.py` is the whole deployed package)."""
