"""``frontline referrals ...``: operate the referral queue and retention.

    frontline referrals process-queue [--loop] [--interval S]   send due emails (once, or until Ctrl-C)
    frontline referrals purge                                  erase personal data past retention
    frontline referrals stats [SERVICE_ID...]                  median time to first response

Register with ``add_referral_parsers(subparsers)``; each sub-command sets
``args.handler`` (returns the exit code).
"""

from __future__ import annotations

import argparse
import sys
import time


def _service():
    from .service import ReferralService

    return ReferralService(services=dict)  # the queue and retention do not need the content


def cmd_process_queue(args) -> int:
    from .queue import QueueRunner, process_queue

    svc = _service()
    if not args.loop:
        r = process_queue(service=svc)
        print(f"sent {r.sent}, still queued {r.retrying}, failed {r.failed}")
        return 0
    runner = QueueRunner(svc, interval=args.interval).start()
    print(f"processing the referral queue every {args.interval:.0f}s; Ctrl-C stops", file=sys.stderr)
    try:
        while runner.running:
            time.sleep(1)
    except KeyboardInterrupt:
        runner.stop()
        return 130
    return 0


def cmd_purge(args) -> int:
    svc = _service()
    n = svc.purge()
    print(f"erased personal data of {n} referral(s) older than {svc.settings.retention_days} days")
    return 0


def cmd_stats(args) -> int:
    svc = _service()
    if not args.service_ids:  # every service with recorded responses, fastest first
        found = svc.all_stats()
        for st in found:
            print(f"{st.service_id}: median {st.median_hours} h to first response ({st.count} referrals)")
        if not found:
            print("no responses recorded yet")
        return 0
    for sid in args.service_ids:
        st = svc.stats(sid)
        print(f"{sid}: no responses yet" if st is None else
              f"{sid}: median {st.median_hours} h to first response ({st.count} referrals)")
    return 0


def _safe(handler):
    def run(args) -> int:
        from sqlalchemy.exc import SQLAlchemyError

        from .errors import ReferralError

        try:
            return handler(args)
        except (ReferralError, SQLAlchemyError, OSError) as exc:
            print(f"frontline referrals: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}", file=sys.stderr)
            return 1
    return run


def add_referral_parsers(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser("referrals", help="referral queue, retention and response times")
    sub = p.add_subparsers(dest="referrals_cmd", required=True)
    q = sub.add_parser("process-queue", help="send queued referral emails (retries with back-off)")
    q.add_argument("--loop", action="store_true", help="keep running until Ctrl-C")
    q.add_argument("--interval", type=float, default=30.0, help="seconds between rounds with --loop")
    q.set_defaults(handler=_safe(cmd_process_queue))
    sub.add_parser("purge", help="erase personal data older than FRONTLINE_REFERRAL_RETENTION_DAYS (90)"
                   ).set_defaults(handler=_safe(cmd_purge))
    s = sub.add_parser("stats", help="median time to first response per service")
    s.add_argument("service_ids", nargs="*", help="services to report (default: every service with responses)")
    s.set_defaults(handler=_safe(cmd_stats))
    return p
