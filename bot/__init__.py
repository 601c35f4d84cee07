"""The Rasa assistant (runs in the Python 3.10 environment with Rasa 3.6)."""
