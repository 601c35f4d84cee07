"""Typed errors. The CLI turns each into one clean line and an exit code."""


class KnowledgeBaseError(Exception):
    """Base class; ``exit_code`` is what the CLI exits with."""

    exit_code = 1


class ContentInvalid(KnowledgeBaseError):
    """Content failed validation; ``problems`` lists every problem found."""

    def __init__(self, problems):
        self.problems = list(problems)
        errors = [p for p in self.problems if p.level == "error"]
        super().__init__(f"{len(errors)} content error(s); run `kb validate` to list them")


class ModelIntegrityError(KnowledgeBaseError):
    """The embedding model's weights do not match the pinned checksum."""

    exit_code = 3


class EmbedderConfigError(KnowledgeBaseError):
    """An embedding setting has a value the embedder does not support."""

    exit_code = 2


class IndexMissing(KnowledgeBaseError):
    """No search index has been built yet."""

    exit_code = 4


class IndexCorrupt(KnowledgeBaseError):
    """An index file does not match its manifest (truncated, swapped or half written)."""

    exit_code = 4
