// Parse an iCalendar document from stdin with Mozilla's ical.js (the parser inside
// Thunderbird) and print its events as JSON, so the Python tests can compare them.
import ICAL from "ical.js";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const text = Buffer.concat(chunks).toString("utf8");

const calendar = new ICAL.Component(ICAL.parse(text));
for (const zone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(zone);
}

const events = calendar.getAllSubcomponents("vevent").map((component) => {
  const event = new ICAL.Event(component);
  const recurrence = component.getFirstPropertyValue("rrule");
  const start = component.getFirstProperty("dtstart");
  return {
    uid: event.uid,
    summary: event.summary,
    description: event.description,
    location: event.location,
    sequence: event.sequence,
    status: component.getFirstPropertyValue("status"),
    dtstart: start.getFirstValue().toString(),
    dtstart_tzid: start.getParameter("tzid") || null,
    dtstart_utc: event.startDate.isDate ? null : event.startDate.toUnixTime(),
    dtend: component.getFirstPropertyValue("dtend")?.toString() ?? null,
    is_date: event.startDate.isDate,
    rrule: recurrence ? recurrence.toString() : null,
    categories: component.getAllProperties("categories").flatMap((p) => p.getValues()),
    organizer: component.getFirstPropertyValue("organizer"),
    organizer_cn: component.getFirstProperty("organizer")?.getParameter("cn") ?? null,
    attendees: component.getAllProperties("attendee").length,
    url: component.getFirstPropertyValue("url"),
    geo: component.getFirstPropertyValue("geo"),
  };
});

process.stdout.write(
  JSON.stringify({
    name: calendar.getFirstPropertyValue("x-wr-calname"),
    method: calendar.getFirstPropertyValue("method"),
    timezones: calendar.getAllSubcomponents("vtimezone").map((z) => z.getFirstPropertyValue("tzid")),
    events,
  }),
);
