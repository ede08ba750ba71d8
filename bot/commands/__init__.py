"""The command language: the grammar both entry points share, its usage lines, and the verbs
that turn a parsed command into a call on the handler and a reply."""
