"""A drop-in for `EntrySelectField` over thousands of entries: the same data (an id, and the
chosen entry in `.entry` after validation), shown as a type-to-search picker instead of a
select holding every entry.

    organization = EntryPickerField(_l("组织"), model=Organization, lookup="organization")

With JavaScript (static/js/picker.js) the user picks from the lookup endpoint's matches and
the hidden input carries the id. Without it, the name typed into the text field
(`<name>__name`) is matched on submit; when several entries match, the field asks the user
to choose among them.
"""

from __future__ import annotations

from flask import render_template, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice
from wtforms.utils import unset_value

from tracker.directory.lookup import LOOKUP_ENDPOINTS, resolve_name, still_names
from tracker.extensions import db
from tracker.forms import EntrySelectField, _request_cache

NAME_SUFFIX = "__name"
NO_MATCH = _l("找不到“%(name)s”，请检查名称或从列表中选择。")
SEVERAL_MATCH = _l("有多项与“%(name)s”相符，请选择其中一项。")
# Names matched in one request: each is a pass over thousands of entries, and a form of 500
# rows could otherwise ask for a thousand of them.
MAX_TYPED_NAMES = 200
TOO_MANY_NAMES = _l("一次最多按名称查找 200 项，请从列表中选择，或分几次保存。")


class EntryPickerField(EntrySelectField):
    """An entry chosen by id, entered by name (see the module's docstring)."""

    def __init__(self, label=None, validators=None, *, lookup: str, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.lookup = lookup
        self.widget = PickerWidget()
        self.typed_name = ""
        self.candidates: list = []

    def process(self, formdata, data=unset_value, extra_filters=None) -> None:
        """Read the id; without one, match the typed name (one match: its id)."""
        super().process(formdata, data, extra_filters)
        if formdata is None:
            return
        self.typed_name = (formdata.get(self.name + NAME_SUFFIX) or "").strip()[:200]
        if not self.typed_name:
            if self.name + NAME_SUFFIX in formdata:
                # The name was emptied (without JavaScript the hidden id stays): nothing chosen.
                # A post without the text field at all (a script, a test) keeps its id.
                self.data = None
            return
        if self.data is not None:
            # Without JavaScript the hidden id stays when the user types another name.
            if self.data <= 0 or still_names(self.lookup, self.data, self.typed_name):
                return
            self.data = None
        matched = _request_cache("picker_typed_names")
        matched["count"] = matched.get("count", 0) + 1
        if matched["count"] > MAX_TYPED_NAMES:
            self.process_errors.append(str(TOO_MANY_NAMES))
            return
        found = resolve_name(self.lookup, self.typed_name)
        if len(found) == 1:
            self.data = found[0].id
            self._lookups()[0].add(self.data)
        elif found:
            self.candidates = found[:20]
            self.process_errors.append(str(SEVERAL_MATCH % {"name": self.typed_name}))
        else:
            self.process_errors.append(str(NO_MATCH % {"name": self.typed_name}))

    def _load_choices(self) -> list[SelectChoice]:
        """Only the entries this request's fields hold (one query per model), never all."""
        wanted = self._lookups()[0]
        cache = _request_cache("picker_choices")
        key = (self.model.__name__, self.describe)
        if key not in cache or not wanted <= cache[key].keys():
            entries = db.session.scalars(
                select(self.model).options(*self.load_options).where(self.model.id.in_(wanted))
            )
            cache[key] = {entry.id: self.describe(entry) for entry in entries}
        return [SelectChoice(str(entry_id), name) for entry_id, name in cache[key].items()]

    def chosen_label(self) -> str:
        """The name shown in the text field: the chosen entry's, else what was typed."""
        if self.data is not None:
            for choice in self._load_choices():
                if choice.value == str(self.data):
                    return choice.label
        return self.typed_name


class PickerWidget:
    """A hidden id and a text field for the name; candidates as radio buttons
    (templates/_picker_field.html)."""

    def __call__(self, field: EntryPickerField, **kwargs) -> Markup:
        html = render_template(
            "_picker_field.html",
            field=field,
            css_class=kwargs.get("class_") or kwargs.get("class") or "",
            lookup_url=url_for(LOOKUP_ENDPOINTS[field.lookup]),
            several=SEVERAL_MATCH % {"name": field.typed_name},
            name_suffix=NAME_SUFFIX,
        )
        return Markup(html)  # noqa: S704 - rendered by Jinja, which escapes every value
