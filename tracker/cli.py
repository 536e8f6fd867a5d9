"""Command line: `flask --app wsgi demo load`, `user create`, and the feature groups."""

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import func, select

from tracker.auth.services import AccountError, create_user
from tracker.backup import backup_group
from tracker.demo import load_demo_data
from tracker.directory.services import erase_person
from tracker.extensions import db
from tracker.feeds.cli import ics_group
from tracker.jobs.cli import worker_command
from tracker.models import USER_ROLES, Event, Organization, Person

demo_group = AppGroup("demo", help="演示数据 / Demo data.")
user_group = AppGroup("user", help="账号管理 / Accounts.")
person_group = AppGroup("person", help="人员 / People.")


@demo_group.command("load")
@click.option(
    "--if-empty", is_flag=True, help="仅在数据库没有任何活动时载入 / only into an empty database"
)
def demo_load(if_empty: bool) -> None:
    """Load the report's activities; running it again changes nothing."""
    if if_empty and db.session.scalar(select(func.count(Event.id))):
        click.echo("数据库中已有活动，跳过演示数据。")
        return
    created = load_demo_data()
    if created:
        click.echo(f"已载入演示数据：{created} 项活动。")
    else:
        click.echo("演示数据已存在，未做更改。")


@user_group.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(USER_ROLES), default="coordinator", show_default=True)
@click.option("--password", help="省略时提示输入 / prompted when absent")
@click.option("--organization", "organization_name", help="所属组织名称 / organisation name")
def user_create(name: str, role: str, password: str | None, organization_name: str | None) -> None:
    """Create a coordinator or admin account."""
    organization = None
    if organization_name:
        organization = db.session.scalar(
            select(Organization).where(
                (Organization.name == organization_name)
                | (Organization.short_name == organization_name)
            )
        )
        if organization is None:
            raise click.ClickException(f"找不到组织：{organization_name}")
    if password is None:
        password = click.prompt("密码 / Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(name, password, role=role, organization=organization)
    except AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"已创建账号 {user.username}（{role}）。")


@person_group.command("erase")
@click.argument("person_id", type=int)
@click.confirmation_option(prompt="永久删除此人的个人信息？/ Erase this person's personal data?")
def person_erase(person_id: int) -> None:
    """Erase a person's personal data (name, contact details, audit texts); participations
    stay as anonymous counts."""
    person = db.session.get(Person, person_id)
    if person is None:
        raise click.ClickException(f"找不到人员 #{person_id}")
    erase_person(person, None)
    click.echo(f"已删除人员 #{person_id} 的个人信息。")


def init_app(app: Flask) -> None:
    app.cli.add_command(demo_group)
    app.cli.add_command(user_group)
    app.cli.add_command(person_group)
    app.cli.add_command(ics_group)
    app.cli.add_command(backup_group)
    app.cli.add_command(worker_command)
