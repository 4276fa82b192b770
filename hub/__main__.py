"""Command line of the class hub: ``python3 -m hub {setup,roster,start}`` (run as root)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hub.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m hub", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("setup", help="install the hub and lab environments and the proxy")
    roster = sub.add_parser("roster", help="create (or --remove) accounts and the course")
    roster.add_argument("roster", type=Path, help="CSV file: username,role[,password]")
    roster.add_argument("--remove", action="store_true", help="delete the roster's accounts")
    roster.add_argument("--prefix", default="", help="prepended to every user name")
    start = sub.add_parser("start", help="start the hub on 127.0.0.1 (a local trial)")
    start.add_argument("--port", type=int, default=8000, help="public port (default 8000)")
    start.add_argument("--hub-port", type=int, default=8081,
                       help="the hub's internal API port (default 8081)")
    start.add_argument("--proxy-api-port", type=int, default=8001,
                       help="the proxy's API port (default 8001)")
    args = parser.parse_args(argv)
    settings = Settings()
    if args.command == "setup":
        from hub.setup import setup
        setup(settings)
        return 0
    if args.command == "roster":
        from hub.roster import RosterError, read_roster
        from hub import roster as roster_mod
        try:
            members = read_roster(args.roster, args.prefix)
        except RosterError as err:
            print(f"hub roster: {err}", file=sys.stderr)
            return 2
        if args.remove:
            for member in members:
                roster_mod.remove_account(member.username)
            roster_mod.remove_group(settings.student_group)
            roster_mod.remove_group(settings.instructor_group)
            from hub.course import remove_course
            remove_course(settings)
            print(f"hub roster: removed {len(members)} accounts")
            return 0
        settings.account_prefix = args.prefix
        hub_roster = roster_mod.create_accounts(members, settings.course_id, settings.etc)
        from hub.course import install_course
        course = install_course(settings, hub_roster)
        settings.save()
        print(f"hub roster: {len(members)} accounts; course folder {course}")
        return 0
    from hub.start import start
    settings.port, settings.hub_port = args.port, args.hub_port
    settings.proxy_api_port = args.proxy_api_port
    return start(settings)


if __name__ == "__main__":
    sys.exit(main())
