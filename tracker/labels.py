"""Display labels for the stored codes (roles, kinds, statuses), translatable."""

from flask_babel import lazy_gettext as _l

ORGANIZATION_KIND_LABELS = {
    "party_committee": _l("党委"),
    "party_branch": _l("党支部"),
    "community": _l("社区"),
    "government": _l("政府部门"),
    "enterprise": _l("企业"),
    "school": _l("学校"),
    "financial": _l("金融机构"),
    "social": _l("社会组织"),
}

ORGANIZATION_ROLE_LABELS = {
    "host": _l("主办"),
    "co_organizer": _l("协办"),
    "organizer": _l("承办"),
    "participant": _l("参与"),
    "exhibitor": _l("参展"),
    "team": _l("参赛队"),
    "village": _l("帮扶村"),
}

# Roles whose organisations an event can count, named or not ("参赛队 10 支（具名 3 支）"):
# the noun for the count and its measure word.
COUNTED_ROLE_NOUNS = {
    "participant": _l("参加单位"),
    "exhibitor": _l("参展机构"),
    "team": _l("参赛队"),
    "village": _l("帮扶村"),
}
COUNTED_ROLE_UNITS = {
    "participant": _l("家"),
    "exhibitor": _l("家"),
    "team": _l("支"),
    "village": _l("个"),
}

# The headcount rule and how organisations are counted, written once: the statistics page's
# 统计口径 and its exports show these (README.md says the same).
HEADCOUNT_RULE = _l(
    "人数：有上报人数的按上报人数，否则按各组织人数之和，否则按登记的参与人员数；"
    "含约数（如“100+”）的合计标“+”。参赛队、参展机构、帮扶村等是组织，不计入人数。"
)
ORGANIZATIONS_RULE = _l(
    "参与组织：参加单位、参展机构、参赛队和帮扶村的数目，含报道只给出数量、未具名的"
    "（如“参赛队 10 支（具名 3 支）”）；主办、协办、承办单位不计入。"
)
AWARDS_RULE = _l("竞赛获奖按奖项等级归类：“冠军”“桂冠（一等奖）”都计为“一等奖/冠军”。")

# Award levels, best first: the order the event page and the statistics use.
AWARD_LEVEL_LABELS = {
    "special": _l("特等奖"),
    "first": _l("一等奖/冠军"),
    "second": _l("二等奖"),
    "third": _l("三等奖"),
    "merit": _l("优秀奖"),
    "other": _l("其他"),
}

PARTICIPATION_ROLE_LABELS = {
    "participant": _l("参加者"),
    "volunteer": _l("志愿者"),
    "speaker": _l("主讲人"),
    "judge": _l("评委"),
    "guest": _l("嘉宾"),
}

EVENT_STATUS_LABELS = {
    "tentative": _l("待定"),
    "confirmed": _l("已确认"),
    "cancelled": _l("已取消"),
}

EVENT_VISIBILITY_LABELS = {
    "public": _l("公开"),
    "internal": _l("内部"),
}

USER_ROLE_LABELS = {
    "admin": _l("管理员"),
    "coordinator": _l("协调员"),
}

WEEKDAY_LABELS = {
    "MO": _l("周一"),
    "TU": _l("周二"),
    "WE": _l("周三"),
    "TH": _l("周四"),
    "FR": _l("周五"),
    "SA": _l("周六"),
    "SU": _l("周日"),
}
