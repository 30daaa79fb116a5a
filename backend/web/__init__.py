"""The web front: the Flask app factory (`app`), the finance pages (`finance`) and what gunicorn
serves (`wsgi`). The app factory is the composition root that mounts the Slack front."""
