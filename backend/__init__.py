"""The domain core (plain-Python services holding every money and workflow rule) and the Flask app factory."""
