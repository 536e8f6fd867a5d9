"""Who may see and change what: the permission matrix over every route of the URL map, the
need-to-know rule for personal data and internal notes on the event page."""

import re

import pytest

from tracker.feeds.services import create_feed_token
from tracker.jobs import JobResult, job_kind, start_job
from tracker.media.demo_photos import placeholder_photo
from tracker.media.services import PhotoUpload, add_attachment, add_photos
from tracker.models import Campaign, Category, Organization, Person


@job_kind("permissions_file")
def _job_with_a_file(progress, payload=None):
    return JobResult(message="已生成。", file=b"A", file_name="a.txt")


# The five kinds of visitor, in the order of the matrix's columns.
ROLES = ("anonymous", "coordinator_a", "coordinator_b", "no_organization", "admin")
LOGIN = "login"  # a redirect to the sign-in page

# Each rule's path arguments, filled from the data set (A's entries; the feed token is the
# admin's, so that revoking it, the admin's last request, leaves it to the others).
PATH_ARGUMENTS = {
    "event_id": "event_a",
    "person_id": "person_a",
    "organization_id": "organization_a",
    "location_id": "location",
    "category_id": "category",
    "campaign_id": "campaign",
    "user_id": "coordinator_a",
    "token_id": "token",
    "token": "token_secret",
    "job_id": "job",
    "photo_id": "photo",
    "extension": "photo_extension",
    "attachment_id": "attachment",
    # Attendance: a check-in code and an upload id that are not valid, and ids of rows that
    # may not exist (the event's first participation, no walk-in, no invitation).
    "code": "token_secret",
    "upload_id": "token_secret",
    "participation_id": "event_a",
    "walk_in_id": "event_a",
    "invitation_id": "event_a",
}


def answers(anonymous, coordinator_a, coordinator_b, no_organization, admin):
    return (anonymous, coordinator_a, coordinator_b, no_organization, admin)


EVERYONE = answers(200, 200, 200, 200, 200)
SIGNED_IN = answers(LOGIN, 200, 200, 200, 200)
ADMINS = answers(LOGIN, 403, 403, 403, 200)
OWNERS = answers(LOGIN, 200, 403, 403, 200)  # admins, and who answers for A's entry
WITH_ORGANIZATION = answers(LOGIN, 200, 200, 403, 200)
# POSTs carry nothing but the CSRF token: a new entry's form answers 422 (or 400) and saves
# nothing; an edit form keeps the entry's values and saves (302); a confirmation step shows
# its page (200).
INVALID = answers(LOGIN, 422, 422, 422, 422)
REFUSED = answers(LOGIN, 400, 400, 400, 400)
ADMINS_INVALID = answers(LOGIN, 403, 403, 403, 422)
ADMINS_SAVE = answers(LOGIN, 403, 403, 403, 302)
OWNERS_SAVE = answers(LOGIN, 302, 403, 403, 302)
SIGNED_IN_SAVE = answers(LOGIN, 302, 302, 302, 302)

# endpoint -> method -> the answers in ROLES order. Every route of the URL map needs a row.
MATRIX = {
    "events.home": {"GET": EVERYONE},
    "events.list_events": {"GET": EVERYONE},
    "events.show_event": {"GET": EVERYONE},
    "events.new_event": {"GET": SIGNED_IN, "POST": INVALID},
    "events.edit_event": {"GET": OWNERS, "POST": answers(LOGIN, 422, 403, 403, 422)},
    "events.cancel_event": {"POST": OWNERS},
    "events.delete_event": {"POST": OWNERS},
    # A's event is no series: its editors are sent back to it with a message.
    "events.skip_occurrence_view": {"POST": OWNERS_SAVE},
    "events.restore_occurrence_view": {"POST": OWNERS_SAVE},
    "events.change_occurrence_view": {"GET": OWNERS_SAVE, "POST": OWNERS_SAVE},
    "events.add_occurrence_view": {"GET": OWNERS_SAVE, "POST": OWNERS_SAVE},
    "feeds.calendar": {"GET": EVERYONE},
    "feeds.event_ics": {"GET": EVERYONE},
    "feeds.subscribe": {"GET": EVERYONE},
    "feeds.private_calendar": {"GET": EVERYONE},
    "feeds.tokens": {"GET": SIGNED_IN, "POST": REFUSED},
    "feeds.revoke_token": {"POST": answers(LOGIN, 404, 404, 404, 302)},
    "feeds.import_file": {"GET": SIGNED_IN, "POST": REFUSED},
    "stats.overview": {"GET": EVERYONE},
    "stats.export_csv": {"GET": EVERYONE},
    "stats.export_xlsx": {"GET": EVERYONE},
    "stats.all_organizations": {"GET": EVERYONE},
    "stats.all_locations": {"GET": EVERYONE},
    "directory.lookup_organizations": {"GET": EVERYONE},
    "directory.lookup_locations": {"GET": EVERYONE},
    "directory.lookup_campaigns": {"GET": EVERYONE},
    "directory.lookup_people": {"GET": SIGNED_IN},
    "directory.list_organizations": {"GET": EVERYONE},
    "directory.show_organization": {"GET": EVERYONE},
    "directory.new_organization": {
        "GET": WITH_ORGANIZATION,
        "POST": answers(LOGIN, 422, 422, 403, 422),
    },
    "directory.edit_organization": {"GET": OWNERS, "POST": OWNERS_SAVE},
    "directory.list_locations": {"GET": EVERYONE},
    "directory.show_location": {"GET": EVERYONE},
    "directory.new_location": {"GET": SIGNED_IN, "POST": INVALID},
    "directory.edit_location": {"GET": SIGNED_IN, "POST": SIGNED_IN_SAVE},
    "directory.list_people": {"GET": SIGNED_IN},
    "directory.show_person": {"GET": SIGNED_IN},
    "directory.new_person": {
        "GET": WITH_ORGANIZATION,
        "POST": answers(LOGIN, 422, 422, 403, 422),
    },
    "directory.edit_person": {"GET": OWNERS, "POST": OWNERS_SAVE},
    "directory.erase_person_data": {"POST": ADMINS},
    "directory.list_categories": {"GET": EVERYONE},
    "directory.show_category": {"GET": EVERYONE},
    "directory.new_category": {"GET": ADMINS, "POST": ADMINS_INVALID},
    "directory.edit_category": {"GET": ADMINS, "POST": ADMINS_SAVE},
    "directory.list_campaigns": {"GET": EVERYONE},
    "directory.show_campaign": {"GET": EVERYONE},
    "directory.new_campaign": {"GET": ADMINS, "POST": ADMINS_INVALID},
    "directory.edit_campaign": {"GET": ADMINS, "POST": ADMINS_SAVE},
    "auth.login": {
        "GET": answers(200, 302, 302, 302, 302),
        "POST": answers(200, 302, 302, 302, 302),
    },
    "auth.confirm_logout": {"GET": answers(302, 200, 200, 200, 200)},
    "auth.logout": {"POST": answers(LOGIN, 302, 302, 302, 302)},
    "auth.account": {"GET": SIGNED_IN, "POST": SIGNED_IN},
    "auth.list_users": {"GET": ADMINS},
    "auth.new_user": {"GET": ADMINS, "POST": ADMINS},
    "auth.edit_user": {"GET": ADMINS, "POST": ADMINS_SAVE},
    # A job is seen by the one who started it and by admins; to others it does not exist.
    "jobs.show_job": {"GET": answers(LOGIN, 200, 404, 404, 200)},
    "jobs.job_status": {"GET": answers(LOGIN, 200, 404, 404, 200)},
    "jobs.job_result": {"GET": answers(LOGIN, 200, 404, 404, 200)},
    # Photos and attachments follow the event (A's public one); uploads without a file are
    # refused (422), deletions first ask (200), the order form keeps the captions (302).
    "media.manage_media": {"GET": OWNERS},
    "media.upload_photos": {"POST": answers(LOGIN, 422, 403, 403, 422)},
    "media.update_photos": {"POST": OWNERS_SAVE},
    "media.delete_photo": {"POST": OWNERS},
    "media.upload_attachment": {"POST": answers(LOGIN, 422, 403, 403, 422)},
    "media.delete_attachment": {"POST": OWNERS},
    "media.photo_file": {"GET": EVERYONE},
    "media.photo_thumbnail": {"GET": EVERYONE},
    "media.attachment_file": {"GET": SIGNED_IN},
    "ledger.event_ledger": {"GET": EVERYONE},
    "ledger.annual_ledger": {"GET": SIGNED_IN, "POST": SIGNED_IN_SAVE},
    # Attendance: the event's editors; the phones' page is open (an invalid code is a 404,
    # a post without a valid pass says the code expired); rosters: who answers for A.
    "attendance.checkin_screen": {"GET": OWNERS},
    "attendance.checkin_live": {"GET": OWNERS},
    "attendance.phone_check_in": {"GET": answers(404, 404, 404, 404, 404), "POST": EVERYONE},
    "attendance.attendance_page": {"GET": OWNERS},
    "attendance.manual_sign_in": {"POST": answers(LOGIN, 303, 403, 403, 303)},
    "attendance.remove_sign_in": {"POST": OWNERS_SAVE},
    "attendance.decide_walk_in": {"POST": answers(LOGIN, 404, 403, 403, 404)},
    "attendance.invitations": {"GET": OWNERS, "POST": answers(LOGIN, 422, 403, 403, 422)},
    "attendance.remove_invitation": {"POST": answers(LOGIN, 404, 403, 403, 404)},
    "attendance.sign_in_sheet": {"GET": OWNERS},
    "attendance.roster_template": {"GET": OWNERS},
    "attendance.roster_upload": {"GET": OWNERS, "POST": answers(LOGIN, 422, 403, 403, 422)},
    "attendance.roster_preview": {
        "GET": answers(LOGIN, 404, 403, 403, 404),
        "POST": answers(LOGIN, 404, 403, 403, 404),
    },
    # Health for load balancers; metrics to loopback (the test client's address) or a token.
    "health.healthz": {"GET": EVERYONE},
    "health.readyz": {"GET": EVERYONE},
    "health.metrics": {"GET": EVERYONE},
}
# Requests that end what the following ones need go last, in this order.
LAST = ("feeds.revoke_token", "auth.logout")


@pytest.fixture
def data_set(db, make_organization, make_person, make_event, make_user, make_location):
    """A's coordinator answers for organisation A, its person and its event; B's for B's."""
    organization_a = make_organization(name="甲社区")
    organization_b = make_organization(name="乙社区")
    coordinator_a = make_user("coordinator_a", organization=organization_a)
    coordinator_b = make_user("coordinator_b", organization=organization_b)
    campaign = Campaign(name="安全生产月")
    db.session.add(campaign)
    location = make_location()
    event_a = make_event(
        title="甲的活动",
        hosts=[organization_a],
        stops=[location],
        people=[make_person(name="甲某", organization=organization_a, phone="13800000001")],
        notes="内部备注：甲",
    )
    make_event(title="乙的活动", hosts=[organization_b], notes="内部备注：乙")
    admin = make_user("admin", role="admin")
    token, secret = create_feed_token(admin, "手机")
    job = start_job("permissions_file", title="甲的任务", owner_id=coordinator_a.id)
    [photo] = add_photos(
        event_a, [PhotoUpload("a.jpg", placeholder_photo("甲的照片"), "甲")], admin
    )
    attachment = add_attachment(event_a, "记录.pdf", b"%PDF-1.4\n", "会议记录", admin)
    return {
        "organization_a": organization_a,
        "person_a": event_a.participations[0].person,
        "event_a": event_a,
        "location": location,
        "category": event_a.category or _category(db),
        "campaign": campaign,
        "coordinator_a": coordinator_a,
        "coordinator_b": coordinator_b,
        "no_organization": make_user("no_organization"),
        "admin": admin,
        "token": token,
        "token_secret": secret,
        "job": job,
        "photo": photo,
        "photo_extension": photo.extension,
        "attachment": attachment,
    }


def _category(db):
    category = Category(slug="party-day", name_zh="主题党日", name_en="Party day")
    db.session.add(category)
    db.session.commit()
    return category


def _client(app, user):
    """A test client of its own, signed in through the form (CSRF on) unless anonymous;
    returns it with a CSRF token read from a page."""
    client = app.test_client()
    token = _csrf_token(client, "/login")
    if user is not None:
        response = client.post(
            "/login",
            data={
                "username": user.username,
                "password": "correct horse battery",
                "csrf_token": token,
            },
        )
        assert response.status_code == 302, user.username
        token = _csrf_token(client, "/feeds/tokens")
    return client, token


def _csrf_token(client, path):
    page = client.get(path)
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.text).group(1)


def _answer(response):
    location = response.headers.get("Location", "")
    if response.status_code == 302 and "/login" in location:
        return LOGIN
    return response.status_code


def test_every_route_has_a_row_in_the_matrix(app):
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]
    missing = sorted({rule.endpoint for rule in rules} - MATRIX.keys())
    assert not missing, f"routes without a row in the permission matrix: {missing}"
    assert not MATRIX.keys() - {rule.endpoint for rule in rules}, "rows for routes that are gone"
    for rule in rules:
        methods = sorted(rule.methods & {"GET", "POST"})
        assert methods == sorted(MATRIX[rule.endpoint]), f"methods of {rule.endpoint}"


# One test per kind of visitor, each on a fresh data set, so the test processes share them.
@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_kind_of_visitor_as_the_matrix_says(app, data_set, role):
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint in MATRIX]
    requests = []
    for rule in rules:
        methods = sorted(rule.methods & {"GET", "POST"})
        arguments = {name: data_set[PATH_ARGUMENTS[name]] for name in rule.arguments}
        path = rule.build({name: getattr(value, "id", value) for name, value in arguments.items()})[
            1
        ]
        requests += [(rule.endpoint, method, path) for method in methods]
    requests.sort(key=lambda request: LAST.index(request[0]) + 1 if request[0] in LAST else 0)
    wrong = []
    column = ROLES.index(role)
    client, token = _client(app, data_set.get(role))
    for endpoint, method, path in requests:
        if method == "GET":
            response = client.get(path)
        else:
            response = client.post(path, data={"csrf_token": token})
        expected = MATRIX[endpoint][method][column]
        if _answer(response) != expected:
            answer = _answer(response)
            wrong.append(f"{method} {path} ({endpoint}) as {role}: {answer}, not {expected}")
    assert not wrong, "\n".join(wrong)


# --- need-to-know and internal notes ---------------------------------------------------------


def _page(app, user, path):
    client, _token = _client(app, user)
    return client.get(path).get_data(as_text=True)


def test_phone_email_and_party_membership_only_for_admins_and_the_own_coordinator(
    app, db, data_set
):
    person = data_set["person_a"]
    person.email = "jia@example.cn"
    db.session.commit()
    for path in ("/people/", f"/people/{person.id}"):
        for role in ("coordinator_a", "admin"):
            page = _page(app, data_set[role], path)
            assert "13800000001" in page and "jia@example.cn" in page, (role, path)
        for role in ("coordinator_b", "no_organization"):
            page = _page(app, data_set[role], path)
            assert person.name in page, (role, path)
            assert "13800000001" not in page and "jia@example.cn" not in page, (role, path)
            assert "党员" not in page.split(person.name, 1)[1].split("</tr>")[0], (role, path)


def test_internal_notes_are_shown_only_to_signed_in_coordinators(app, data_set):
    path = f"/events/{data_set['event_a'].id}"
    anonymous = _page(app, None, path)
    assert "内部备注：甲" not in anonymous and "修改记录" not in anonymous
    assert "内部备注：甲" in _page(app, data_set["coordinator_b"], path)


def _post(app, user, path, data):
    client, token = _client(app, user)
    return client.post(path, data={**data, "csrf_token": token})


def test_a_coordinator_cannot_move_their_organization_under_another_one(app, db, data_set):
    organization_a = data_set["organization_a"]
    organization_b = db.session.scalar(db.select(Organization).where(Organization.name == "乙社区"))
    response = _post(
        app,
        data_set["coordinator_a"],
        f"/organizations/{organization_a.id}/edit",
        {"name": "甲社区", "kind": "community", "parent": organization_b.id},
    )
    assert response.status_code == 422 and "只能放在您负责的组织之下" in response.text
    db.session.refresh(organization_a)
    assert organization_a.parent_id is None


def test_a_coordinator_adds_organizations_and_people_only_within_their_own(app, db, data_set):
    organization_a = data_set["organization_a"]
    coordinator = data_set["coordinator_a"]
    refused = _post(app, coordinator, "/organizations/new", {"name": "丙", "kind": "community"})
    assert refused.status_code == 422 and "只能放在您负责的组织之下" in refused.text
    added = _post(
        app,
        coordinator,
        "/organizations/new",
        {"name": "甲社区第一支部", "kind": "party_branch", "parent": organization_a.id},
    )
    assert added.status_code == 302
    branch = db.session.scalar(db.select(Organization).where(Organization.name == "甲社区第一支部"))
    # Below their own organisation they answer for the new branch and its people.
    person = _post(app, coordinator, "/people/new", {"name": "李四", "organization": branch.id})
    assert person.status_code == 302
    nowhere = _post(app, coordinator, "/people/new", {"name": "王五"})
    assert nowhere.status_code == 422 and "只能选择您负责的组织" in nowhere.text
    assert db.session.scalar(db.select(Person).where(Person.name == "王五")) is None


def test_no_feed_carries_internal_notes(app, data_set):
    client, _token = _client(app, None)
    for path in (
        "/calendar.ics",
        f"/events/{data_set['event_a'].id}.ics",
        f"/feeds/private/{data_set['token_secret']}.ics",
    ):
        body = client.get(path).get_data(as_text=True)
        assert "甲的活动" in body and "内部备注" not in body, path
