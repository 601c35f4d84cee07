"""Process supervision, training cache and the operator CLI."""
