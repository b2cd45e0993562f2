"""`python -m ops`: post-deploy checks, restore drill, releases, rollback, database bootstrap and snapshots, and
the preflight check before `pulumi up`.

Stack outputs come from --outputs FILE (the JSON `pulumi stack output --json` prints) or, without it, from
`pulumi stack output --json --stack <stack>`. AWS credentials and settings come from the environment, as for
any AWS client; the region is the stack's `region` output.

Exit codes: 0 success; 1 a check, the drill, a release or the rollback failed, or preflight refused; 2 usage,
stack outputs or stack file error; 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ops import (
    db_bootstrap,
    db_snapshot,
    deployment_rollback,
    preflight,
    release,
    report,
    restore_drill,
    rollback,
    upgrade_rehearsal,
    verify,
)
from ops import outputs as outputs_module
from ops.apply import Apply, pulumi_up
from ops.aws import AWS_ERRORS, Clients, WaitTimeoutError, describe_error, format_elapsed
from ops.ecs import ServiceNotFoundError
from ops.outputs import OutputsError, Runner, StackOutputs
from ops.pointer import ReleaseError
from ops.service_deployments import DeploymentsUnavailableError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

ClientsFactory = Callable[[str], Clients]
WAIT_MINUTES = 20.0  # release and rollback: the wait for the deployment, plus its strategy's bake times by default
WAIT_HELP = "wait this long for the deployment (default: 20 min plus the bake times of the service's strategy)"


def _iso_time(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _non_negative(value: str) -> float:
    number = float(value)
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ops", description=(__doc__ or "").splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--stack", help="stack name (staging, production); required without --outputs")
    common.add_argument("--outputs", type=Path, help="JSON file with the stack outputs (`pulumi stack output --json`)")

    check = commands.add_parser("verify", parents=[common], help="check that the deployed stack is healthy")
    check.add_argument("--json", action="store_true", help="print the checks as JSON instead of a table")
    check.add_argument("--report", type=Path, help="also write the checks as JSON to this file")
    check.add_argument(
        "--wait-minutes", type=_non_negative, default=0.0, help="repeat the checks until they pass, up to this long"
    )
    check.add_argument("--interval-seconds", type=_non_negative, default=30.0, help="pause between repeats")
    check.add_argument("--http-timeout", type=_non_negative, default=10.0, help="health request timeout (s)")

    drill = commands.add_parser(
        "restore-drill", parents=[common], help="restore the database into a temporary instance, measure, delete"
    )
    drill.add_argument("--from-snapshot", action="store_true", help="restore the newest snapshot instead of PITR")
    drill.add_argument("--restore-time", type=_iso_time, help="point in time to restore (default: latest)")
    reach = drill.add_mutually_exclusive_group()
    reach.add_argument("--allow-from", help="CIDR or sg-id that may connect to the drill instance (for the TCP check)")
    reach.add_argument("--skip-connect", action="store_true", help="check availability only, no TCP connect")
    drill.add_argument("--instance-class", help="instance class of the drill instance (default: the source's)")
    drill.add_argument("--timeout-minutes", type=_non_negative, help="give up the restore after this long")
    drill.add_argument("--poll-seconds", type=_non_negative, default=30.0, help="pause between status polls")
    drill.add_argument("--evidence", type=Path, help="evidence JSON path (default: out/restore-drill-<...>.json)")
    drill.add_argument(
        "--upgrade-to",
        metavar="MAJOR",
        help="rehearse a major upgrade: restore the newest snapshot, upgrade the copy to MAJOR, time each step",
    )

    snap = commands.add_parser(
        "db-snapshot", parents=[common], help="take a manual snapshot of the database and wait until it is available"
    )
    snap.add_argument("--reason", required=True, help="why, part of the snapshot name (e.g. pre-upgrade)")
    snap.add_argument("--timeout-minutes", type=_non_negative, default=120.0, help="wait this long for the snapshot")
    snap.add_argument("--poll-seconds", type=_non_negative, default=30.0, help="pause between status polls")

    boot = commands.add_parser(
        "db-bootstrap",
        parents=[common],
        help="create or update the application's database user (IAM authentication), from a one-off ECS task",
    )
    boot.add_argument(
        "--revoke", action="store_true", help="instead: forbid the user's logins and end its sessions (undo: rerun)"
    )
    boot.add_argument("--timeout-minutes", type=_non_negative, default=15.0, help="wait this long for the task")
    boot.add_argument("--poll-seconds", type=_non_negative, default=10.0, help="pause between status polls")

    _add_preflight_command(commands, common)
    _add_release_commands(commands, common)
    return parser


def _add_preflight_command(commands: Any, common: argparse.ArgumentParser) -> None:
    before = commands.add_parser(
        "preflight",
        parents=[common],
        help="before `pulumi up`: refuse to switch a service back to rolling while its traffic is on its "
        "alternate target group, and a database major upgrade without a fresh manual snapshot (reads only)",
    )
    before.add_argument("--stack-file", type=Path, help="read this stack file instead of Pulumi.<stack>.yaml")


def _add_release_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    back = commands.add_parser(
        "rollback",
        parents=[common],
        help="roll a service back: stop its blue/green, canary or linear deployment in progress, else deploy the "
        "earlier revision (CI-owned: pointer version)",
    )
    back.add_argument("service", help="service name as in the `services` stack output (e.g. api)")
    which = back.add_mutually_exclusive_group()
    which.add_argument("--revision", type=int, help="task definition revision to roll back to (default: previous)")
    which.add_argument(
        "--version", type=int, help="CI-owned service: release pointer version to go back to (default: the previous)"
    )
    back.add_argument(
        "--dry-run", action="store_true", help="say what it would stop or deploy, and to what; change nothing"
    )
    back.add_argument("--timeout-minutes", type=_non_negative, help=WAIT_HELP)
    back.add_argument("--poll-seconds", type=_non_negative, default=15.0, help="pause between status polls")

    ship = commands.add_parser(
        "release", parents=[common], help="release an image to a CI-owned service: pointer, `pulumi up`, deployment"
    )
    ship.add_argument("service", help="a CI-owned service, as in the `services` stack output")
    ship.add_argument("--image", required=True, help="<repository-url>@sha256:<digest> or <repository-url>:<tag>")
    ship.add_argument("--dry-run", action="store_true", help="check the image, say what would change, change nothing")
    ship.add_argument("--timeout-minutes", type=_non_negative, help=WAIT_HELP)
    ship.add_argument("--poll-seconds", type=_non_negative, default=15.0, help="pause between status polls")


def main(
    argv: list[str] | None = None,
    *,
    clients_factory: ClientsFactory = Clients,
    run_command: Runner = outputs_module.run_command,
    apply: Apply = pulumi_up,
) -> int:
    args = build_parser().parse_args(argv)
    try:
        outputs = outputs_module.load(args.stack, args.outputs, run_command)
        if args.command == "preflight":  # runs before the first deploy too, when there are no outputs yet
            return _preflight(args, outputs, clients_factory)
        clients = clients_factory(outputs.text("region"))
        if args.command == "verify":
            return _verify(args, outputs, clients)
        if args.command == "restore-drill":
            return _drill(args, outputs, clients)
        if args.command == "db-bootstrap":
            return _bootstrap(args, outputs, clients)
        if args.command == "db-snapshot":
            return _snapshot(args, outputs, clients)
        if args.command == "release":
            return _release(args, outputs, clients, apply)
        return _rollback_command(args, outputs, clients, apply)
    except (OutputsError, preflight.StackFileInvalidError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _progress(elapsed: float, status: str) -> None:
    print(f"  [{format_elapsed(elapsed)}] {status}", file=sys.stderr, flush=True)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _wait(args: argparse.Namespace) -> dict[str, Any]:
    """The deployment wait of `release` and `rollback`: an explicit --timeout-minutes is taken as is."""
    explicit = args.timeout_minutes is not None
    return {
        "timeout_minutes": args.timeout_minutes if explicit else WAIT_MINUTES,
        "timeout_plus_bake": not explicit,
        "poll_seconds": args.poll_seconds,
        "progress": _progress,
    }


def _verify(args: argparse.Namespace, outputs: StackOutputs, clients: Clients) -> int:
    options = verify.Options(http_timeout=args.http_timeout)
    if args.wait_minutes > 0:
        services = verify.Targets.from_outputs(outputs).services
        baking = verify.planned_wait_minutes(clients("ecs"), services)
        if baking:
            print(f"waiting {args.wait_minutes:g} min plus {baking} min of release bake time", file=sys.stderr)
        checks = verify.run_until_passing(
            outputs,
            clients,
            options,
            wait_seconds=(args.wait_minutes + baking) * 60,
            interval=args.interval_seconds,
            progress=lambda elapsed, status: _progress(elapsed, f"failing: {status}"),
        )
    else:
        checks = verify.run(outputs, clients, options)
    meta = {"stack": outputs.stack, "checkedAt": datetime.now(UTC).isoformat(timespec="seconds")}
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(report.as_json(checks, **meta) + "\n")
    print(report.as_json(checks, **meta) if args.json else report.table(checks))
    return EXIT_FAILED if report.failed(checks) else EXIT_OK


def _drill(args: argparse.Namespace, outputs: StackOutputs, clients: Clients) -> int:
    options = restore_drill.Options(
        from_snapshot=args.from_snapshot,
        restore_time=args.restore_time,
        allow_from=args.allow_from,
        connect_check=not args.skip_connect,
        instance_class=args.instance_class,
        timeout_minutes=args.timeout_minutes,
        poll_seconds=args.poll_seconds,
        evidence_path=args.evidence,
        progress=_progress,
    )
    if args.upgrade_to:
        drill: restore_drill.Drill = upgrade_rehearsal.UpgradeRehearsal(outputs, clients, args.upgrade_to, options)
        what = f"upgrade rehearsal ({args.upgrade_to})"
    else:
        drill, what = restore_drill.Drill(outputs, clients, options), "restore drill"
    print(f"{what} of {drill.source.identifier} ({outputs.stack}) into {drill.name}", file=sys.stderr)
    try:
        evidence = drill.run()
    finally:
        print(f"evidence written to {drill.evidence_path}", file=sys.stderr)
    keys = ("result", "measuredRestoreMinutes", "rtoMinutes", "withinRto", "stepSeconds", "upgrade", "error")
    summary = {k: evidence[k] for k in keys if k in evidence}
    print(json.dumps({**summary, "cleanupDone": evidence["cleanup"]["done"]}, indent=2))
    if evidence["error"]:
        print(f"error: {evidence['error']}", file=sys.stderr)
    return EXIT_OK if evidence["result"] == "pass" else EXIT_FAILED


def _bootstrap(args: argparse.Namespace, outputs: StackOutputs, clients: Clients) -> int:
    options = db_bootstrap.Options(
        action="revoke" if args.revoke else "bootstrap",
        timeout_minutes=args.timeout_minutes,
        poll_seconds=args.poll_seconds,
        progress=_progress,
    )
    try:
        result = db_bootstrap.run(outputs, clients, options)
    except (db_bootstrap.BootstrapError, db_bootstrap.BootstrapSqlError, WaitTimeoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except AWS_ERRORS as exc:
        print(f"error: {describe_error(exc)}", file=sys.stderr)
        return EXIT_FAILED
    for line in result.log_lines:
        print(line)
    verdict = "succeeded" if result.succeeded else f"FAILED (exit code {result.exit_code}; {result.stopped_reason})"
    print(f"db-bootstrap {options.action} {verdict}: {result.task_arn} after {format_elapsed(result.seconds)}")
    return EXIT_OK if result.succeeded else EXIT_FAILED


def _snapshot(args: argparse.Namespace, outputs: StackOutputs, clients: Clients) -> int:
    options = db_snapshot.Options(
        reason=args.reason, timeout_minutes=args.timeout_minutes, poll_seconds=args.poll_seconds, progress=_progress
    )
    try:
        result = db_snapshot.run(outputs, clients, options)
    except (db_snapshot.SnapshotError, WaitTimeoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except AWS_ERRORS as exc:
        print(f"error: {describe_error(exc)}", file=sys.stderr)
        return EXIT_FAILED
    print(
        f"snapshot {result.identifier} of {result.instance} (PostgreSQL {result.engine_version}) available after "
        f"{format_elapsed(result.seconds)}"
    )
    return EXIT_OK


def _preflight(args: argparse.Namespace, outputs: StackOutputs, clients_factory: ClientsFactory) -> int:
    intent = preflight.read_intent(outputs.stack, args.stack_file)
    if not outputs.values:
        print(f"{outputs.stack}: no stack outputs, nothing deployed yet: nothing to check")
        return EXIT_OK
    try:
        result = preflight.check(outputs, clients_factory(outputs.text("region")), intent)
    except AWS_ERRORS as exc:
        print(f"error: {describe_error(exc)}", file=sys.stderr)
        return EXIT_FAILED
    for note in result.notes:
        print(f"note: {note}")
    if _refused(result) is not None:
        return EXIT_FAILED
    rolling = ", ".join(sorted(intent.rolling)) or "none"
    upgrade = f"{intent.upgrade[0]} -> {intent.upgrade[1]}" if intent.upgrade else "none"
    print(f"{outputs.stack}: preflight passed (rolling services: {rolling}; database major upgrade: {upgrade})")
    return EXIT_OK


def _ci_owned(outputs: StackOutputs, service: str) -> bool:
    return outputs.optional(f"services.{service}.release") is not None


def _release(args: argparse.Namespace, outputs: StackOutputs, clients: Clients, apply: Apply) -> int:
    """`release`, and `rollback` of a CI-owned service (an earlier pointer version, released the same way)."""
    refused = _release_refused(args.service, outputs, clients)
    if refused is not None:
        return refused
    options = release.Options(dry_run=args.dry_run, say=_say, apply=apply, **_wait(args))
    try:
        if args.command == "release":
            result = release.release(outputs, clients, args.service, args.image, options)
        else:
            if args.revision is not None:
                raise ReleaseError(
                    f"{args.service} is CI-owned: its releases are pointer versions, not task definition revisions "
                    "(pass --version N, or nothing for the previous release)"
                )
            result = release.rollback(outputs, clients, args.service, args.version, options)
    except (ReleaseError, release.ReleaseFailedError, ServiceNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except AWS_ERRORS as exc:
        print(f"error: {describe_error(exc)}", file=sys.stderr)
        return EXIT_FAILED
    if result.dry_run:
        print(f"{result.service}: dry run, nothing changed; would release {result.image} (now {result.previous})")
    else:
        written = f"pointer version {result.version}" if result.version is not None else "pointer unchanged"
        print(
            f"{result.service} runs {result.image} ({written}, {result.task_definition}); "
            f"deployed after {format_elapsed(result.seconds)}"
        )
    return EXIT_OK


def _release_refused(service: str, outputs: StackOutputs, clients: Clients) -> int | None:
    """A release applies this checkout's stack file to the service (`pulumi up --target`), so the deploy's
    back-to-rolling refusal holds here too: an exit status when it refuses, None when the release may go on."""
    intent = preflight.read_intent(outputs.stack)
    result = preflight.Result([], [])
    try:
        preflight.back_to_rolling(outputs, clients("ecs"), intent.rolling & {service}, result)
    except AWS_ERRORS as exc:
        print(f"error: {describe_error(exc)}", file=sys.stderr)
        return EXIT_FAILED
    return _refused(result)


def _refused(result: preflight.Result) -> int | None:
    """Print each refusal; EXIT_FAILED when there is one."""
    for refusal in result.refusals:
        print(f"REFUSED {refusal.message()}", file=sys.stderr)
    return EXIT_FAILED if result.refusals else None


def _rollback(args: argparse.Namespace, outputs: StackOutputs, clients: Clients) -> int:
    options = rollback.Options(revision=args.revision, say=_say, dry_run=args.dry_run, **_wait(args))
    try:
        result = rollback.run(outputs, clients, args.service, options)
    except (rollback.RollbackError, ServiceNotFoundError, WaitTimeoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except AWS_ERRORS as exc:
        print(f"error: {describe_error(exc)}", file=sys.stderr)
        return EXIT_FAILED
    if result.dry_run:
        print(f"{result.service}: dry run, nothing changed; would roll back from {result.previous} to {result.current}")
        return EXIT_OK
    print(
        f"{result.service} ({result.cluster}) rolled back from {result.previous} to {result.current}; "
        f"deployed after {format_elapsed(result.seconds)}"
    )
    return EXIT_OK


def _rollback_command(args: argparse.Namespace, outputs: StackOutputs, clients: Clients, apply: Apply) -> int:
    """`rollback`: a blue/green, canary or linear deployment in progress is stopped with a rollback; otherwise (or
    with an explicit --revision / --version) the earlier revision or pointer version is deployed, as before."""
    found = None
    if args.revision is None and args.version is None:
        service_name, cluster, _ = rollback.service_outputs(outputs, args.service)
        try:
            found = deployment_rollback.find(clients("ecs"), cluster, service_name, _say)
        except AWS_ERRORS as exc:
            print(f"error: {describe_error(exc)}", file=sys.stderr)
            return EXIT_FAILED
    if found is not None:
        return _stop(args, outputs, clients, found)
    if _ci_owned(outputs, args.service):
        return _release(args, outputs, clients, apply)
    return _rollback(args, outputs, clients)


def _stop(
    args: argparse.Namespace, outputs: StackOutputs, clients: Clients, found: deployment_rollback.InProgress
) -> int:
    ci_owned = _ci_owned(outputs, args.service)
    _say(deployment_rollback.plan(found))
    if args.dry_run:
        then = f"; then set the release pointer to the image of {found.source}" if ci_owned else ""
        print(f"{args.service}: dry run, nothing changed; would roll deployment {found.deployment.id} back{then}")
        return EXIT_OK
    options = rollback.Options(**_wait(args))
    try:
        stopped = deployment_rollback.stop(clients("ecs"), found, options, _say)
        if ci_owned:
            after = release.point_back(outputs, clients, args.service, stopped.back_to)
        else:
            after = "revert the faulty commit: the next `pulumi up` deploys the rolled-back revision again"
    except (deployment_rollback.StopFailedError, WaitTimeoutError, ReleaseError, DeploymentsUnavailableError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except AWS_ERRORS as exc:
        print(f"error: {describe_error(exc)}", file=sys.stderr)
        return EXIT_FAILED
    print(
        f"{stopped.service}: deployment {stopped.deployment} {stopped.status}, {stopped.back_to} serves again after "
        f"{format_elapsed(stopped.seconds)}; {after}"
    )
    return EXIT_OK
