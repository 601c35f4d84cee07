"""Shared plumbing for every package, importable from both Python environments
(Rasa's 3.10 and the app's 3.11): standard library and PyYAML only, and no import
of any other package of ours. Redaction, content problems with their YAML lines,
the repository's paths."""
