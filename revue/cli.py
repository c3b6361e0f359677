"""``flask revue …`` commands: thin wrappers over services (STYLE 11)."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from .db import db

revue_cli = AppGroup("revue", help="Revue administration commands.")


@revue_cli.command("create-owner")
@click.option("--workspace", "workspace_name", prompt="Agency name")
@click.option("--name", prompt="Your name")
@click.option("--email", prompt="Your email")
@click.password_option("--password", prompt="Password")
def create_owner(workspace_name: str, name: str, email: str, password: str) -> None:
    """Create the first account (the owner) of a fresh install."""
    from .accounts.services import create_owner as create
    from .errors import DomainError

    try:
        user = create(workspace_name, name, email, password)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"Owner {user.email} created. Log in at the app's /account/login.")


@revue_cli.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Seed only into an empty database; otherwise do nothing.")
def seed_demo(if_empty: bool) -> None:
    """Fill an empty database with a demo agency and print its login."""
    from . import demo

    if demo.has_data():
        if not if_empty:
            raise click.ClickException("The database is not empty. Run `flask revue remove-demo` first.")
    else:
        demo.seed()
        db.session.commit()
    login = demo.login_if_unchanged()
    if login:
        email, password = login
        click.echo("")
        click.echo("  Revue demo workspace")
        click.echo(f"  log in as  {email}")
        click.echo(f"  password   {password}")
        click.echo("  (shown until you change this password)")
        click.echo("")


@revue_cli.command("remove-demo")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def remove_demo(yes: bool) -> None:
    """Delete the demo workspace and everything in it."""
    from . import demo

    if not demo.is_demo():
        raise click.ClickException("This database holds no demo workspace.")
    if not yes:
        click.confirm("Delete the demo workspace and all its data?", abort=True)
    demo.remove()
    db.session.commit()
    click.echo("Demo removed. Open the app to set up your own workspace.")


@revue_cli.command("worker")
@click.option("--workers", default=2, show_default=True, help="Worker threads.")
def worker(workers: int) -> None:
    """Run the job consumer (renditions, emails, reminders)."""
    from flask import current_app

    from . import jobs, mail  # noqa: F401  (importing registers the jobs)

    if current_app.config.get("HUEY_IMMEDIATE"):
        raise click.ClickException("HUEY_IMMEDIATE is set: jobs run inline, there is nothing to consume.")
    consumer = jobs.huey.create_consumer(workers=workers, worker_type="thread", periodic=True,
                                         check_worker_health=True)
    consumer.run()


@revue_cli.command("check")
def check() -> None:
    """Check the configuration, database, storage and mail settings."""
    from . import health

    problems = health.problems()
    for level, line in problems:
        click.echo(f"{'✗' if level == 'error' else '!'} {line}")
    if any(level == "error" for level, _ in problems):
        sys.exit(1)
    click.echo("✓ Revue is ready.")


audit_cli = AppGroup("audit", help="The audit trail.")
revue_cli.add_command(audit_cli)


@audit_cli.command("verify")
def audit_verify() -> None:
    """Check the hash chain of the activity log."""
    from .activity import Activity, verify_chain

    problems = verify_chain()
    if problems:
        for line in problems[:50]:
            click.echo(f"✗ {line}")
        raise click.ClickException(f"{len(problems)} problem(s) in the activity log.")
    click.echo(f"✓ {db.session.query(Activity).count()} activity rows, chain intact.")
