"""Service knowledge base: content loading, validation, embedding and search."""
