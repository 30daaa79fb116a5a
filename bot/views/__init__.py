"""Modal views: how they are built from the domain, and how their submitted state is read back."""
