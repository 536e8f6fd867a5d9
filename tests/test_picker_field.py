"""EntryPickerField: an entry chosen by id or typed by name, never a select of every entry."""

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from tracker.directory.picker_field import EntryPickerField
from tracker.models import Organization


class HostForm(FlaskForm):
    class Meta:
        csrf = False  # a unit test of the form class

    host = EntryPickerField("主办", model=Organization, lookup="organization")


def _form(app, data=None, **kwargs):
    with app.test_request_context(method="POST" if data is not None else "GET"):
        form = HostForm(formdata=MultiDict(data) if data is not None else None, **kwargs)
        valid = form.validate() if data is not None else None
        return form, valid, str(form.host())


def test_renders_the_chosen_entry_only(app, make_organization):
    chosen = make_organization(name="高新区总工会")
    make_organization(name="金湾区总工会")
    _form_, _valid, html = _form(app, data=None, host=chosen.id)
    assert f'name="host" value="{chosen.id}"' in html
    assert 'value="高新区总工会"' in html and "金湾区总工会" not in html


def test_a_typed_name_is_matched_on_submit(app, make_organization):
    union = make_organization(name="高新区总工会")
    make_organization(name="金湾区教育局")
    form, valid, _html = _form(app, {"host": "", "host__name": "高新区 总工会"})
    assert valid and form.host.data == union.id and form.host.entry.name == "高新区总工会"


def test_a_name_matching_several_asks_to_choose(app, make_organization):
    first = make_organization(name="高新区总工会")
    second = make_organization(name="金湾区总工会")
    form, valid, html = _form(app, {"host": "", "host__name": "总工会"})
    assert not valid and "有多项与“总工会”相符" in form.host.errors[0]
    for entry in (first, second):
        assert f'type="radio" name="host" value="{entry.id}"' in html
    picked, valid, _html = _form(app, {"host": str(second.id), "host__name": "总工会"})
    assert valid and picked.host.data == second.id


def test_a_name_typed_over_a_chosen_entry_wins_without_javascript(app, make_organization):
    old = make_organization(name="高新区总工会")
    new = make_organization(name="金湾区教育局")
    form, valid, _html = _form(app, {"host": str(old.id), "host__name": "教育局"})
    assert valid and form.host.data == new.id
    kept, valid, _html = _form(app, {"host": str(old.id), "host__name": "高新区总工会"})
    assert valid and kept.host.data == old.id


def test_an_unknown_name_gets_a_message(app, make_organization):
    make_organization(name="高新区总工会")
    form, valid, html = _form(app, {"host": "", "host__name": "不存在的单位"})
    assert not valid and "找不到“不存在的单位”" in form.host.errors[0]
    assert 'value="不存在的单位"' in html  # what was typed is kept


def test_an_emptied_name_clears_the_choice_but_a_bare_id_is_kept(app, make_organization):
    union = make_organization(name="高新区总工会")
    cleared, valid, _html = _form(app, {"host": str(union.id), "host__name": " "})
    assert valid and cleared.host.data is None and cleared.host.entry is None
    kept, valid, _html = _form(app, {"host": str(union.id)})
    assert valid and kept.host.data == union.id
