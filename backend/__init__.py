"""The backend: the domain core (`backend.domain`), what the app says in Slack (`backend.slack`),
the web front (`backend.web`), the command line (`backend.cli`), and the plumbing every layer
reads (`backend.settings`, `backend.logs`)."""
