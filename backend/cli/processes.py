"""`crg serve`, `crg socket` and `crg clock`: the commands that start the app's processes.

This is where the command line puts the other fronts together (a composition root, like the
Flask app that mounts the Slack front): each command starts one of them on this machine.
"""
import socket

from backend.cli.common import actor
from backend.domain import directory
from backend.domain.database import describe
from backend.domain.errors import InvalidInput
from backend.domain.outbox import states


def register(sub) -> None:
    serve = sub.add_parser("serve", help="run the web backend (Slack endpoint) on this machine")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=None)
    serve.set_defaults(func=cmd_serve, needs_schema=True, long_running=True)

    socket = sub.add_parser("socket", help="serve the Slack app over Socket Mode "
                                           "(local development; needs SLACK_APP_TOKEN)")
    socket.set_defaults(func=cmd_socket, needs_schema=True, long_running=True)

    clock = sub.add_parser("clock", help="run the reminder clock (its own process, never in web)")
    clock.add_argument("--once", action="store_true", help="one sweep now, then exit")
    clock.add_argument("--resend", type=int, metavar="MESSAGE_ID",
                       help="queue a failed or in-doubt message to be sent again")
    clock.set_defaults(func=cmd_clock, needs_schema=True)


def cmd_serve(args, settings):
    from backend.web.app import create_app

    app = create_app(settings)
    _require_free(args.host, args.port)
    print(f"Serving the CRG tracker on http://{args.host}:{args.port}; its data is in "
          f"{describe(settings.database_url)}.", flush=True)
    app.run(host=args.host, port=args.port, threaded=True, use_reloader=False)


def _require_free(host: str, port: int) -> None:
    """Say the port is taken before saying we serve on it (the server would say so after)."""
    probe = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server itself binds
    try:
        probe.bind((host, port))
    except OSError as error:
        raise InvalidInput(f"Cannot serve on {host}:{port}: {error.strerror or error}. Is the "
                           "tracker already running? Stop it, or choose another port with "
                           "--port (or PORT).") from None
    finally:
        probe.close()


def cmd_socket(args, settings):
    from bot.socket_mode import socket_handler

    handler = socket_handler(settings)
    print("Connecting to Slack over Socket Mode (Ctrl+C to stop)…", flush=True)
    handler.start()


def cmd_clock(args, settings):
    if args.resend is not None:
        resent = states.resend(actor(), args.resend)
        to = (directory.label(resent.recipient) if directory.is_user_id(resent.recipient)
              else resent.recipient)
        print(f"Message {resent.message_id} to {to} will be sent again by the next sweep.")
        return
    from jobs import clock

    result = clock.run(settings, once=args.once)
    if args.once:
        if result is None:
            raise SystemExit("The sweep failed; the clock's log says why.")
        print(f"Swept: {result.delivered} delivered, {result.retried} to retry, "
              f"{result.failed} reported to admins.")
