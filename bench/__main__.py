"""``python -m bench``: run the benchmarks and write bench/RESULTS.md."""

import argparse
import logging
import os
import tempfile

BENCHMARKS = ("rush", "pages", "mailing", "invitees", "checkin", "documents", "machines",
              "travel")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("benchmarks", nargs="*", choices=[*BENCHMARKS, []],
                        metavar="{rush,pages,mailing,invitees,checkin,documents,machines,travel}",
                        help="which to run (default: all)")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--clients", type=int, default=50,
                        help="concurrent clients of the registration rush (default 50)")
    parser.add_argument("--requests", type=int, default=2000,
                        help="registrations in the rush (default 2000)")
    parser.add_argument("--workers", type=int, default=3,
                        help="gunicorn worker processes in the rush (default 3)")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads per gunicorn worker in the rush (default 1: sync "
                             "workers; more than 1 runs gthread workers)")
    parser.add_argument("--page-requests", type=int, default=200,
                        help="GETs of each page in the page benchmark (default 200)")
    parser.add_argument("--invitations", type=int, default=5000,
                        help="invitations in the mailing benchmark (default 5000)")
    parser.add_argument("--invitees", type=int, default=20000,
                        help="invitees in the invitee page benchmark (default 20000)")
    parser.add_argument("--registrations", type=int, default=5000,
                        help="registrations in the event for the page benchmark (default 5000)")
    parser.add_argument("--travel-delegates", type=int, default=2000,
                        help="delegates with travel plans in the travel page benchmark "
                             "(default 2000)")
    return parser.parse_args()


def main() -> None:
    """Run the chosen benchmarks on the chosen databases."""
    arguments = _arguments()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # the in-process app (set-up, query counts) must not touch the real instance/ folder
    with tempfile.TemporaryDirectory(prefix="seminar-bench-instance-") as instance:
        os.environ["INSTANCE_PATH"] = instance
        _run(arguments)


def _run(arguments: argparse.Namespace) -> None:
    from bench import (
        checkin_list,
        documents,
        invitee_pages,
        machines,
        mailing,
        page_latency,
        registration_rush,
        travel_pages,
    )

    kinds = ("sqlite", "postgresql") if arguments.db == "both" else (arguments.db,)
    chosen = arguments.benchmarks or list(BENCHMARKS)
    if "machines" in chosen:  # PostgreSQL and Redis, whatever --db says
        machines.run()
    for kind in kinds:
        if "rush" in chosen:
            registration_rush.run(kind, clients=arguments.clients, requests=arguments.requests,
                                  workers=arguments.workers, threads=arguments.threads)
        if "pages" in chosen:
            page_latency.run(kind, registrations=arguments.registrations,
                             requests=arguments.page_requests)
        if "mailing" in chosen:
            mailing.run(kind, count=arguments.invitations)
        if "checkin" in chosen:
            checkin_list.run(kind)
        if "documents" in chosen:
            documents.run(kind)
        if "travel" in chosen:
            travel_pages.run(kind, delegates=arguments.travel_delegates,
                             requests=arguments.page_requests // 4)
        if "invitees" in chosen:
            invitee_pages.run(kind, invitees=arguments.invitees,
                              requests=arguments.page_requests // 2)


if __name__ == "__main__":
    main()
