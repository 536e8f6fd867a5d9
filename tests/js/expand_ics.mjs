// Expand the occurrences of every event in an iCalendar document (stdin) between two UTC
// instants (argv: start and end, in seconds since 1970) with Mozilla's ical.js, overrides
// (RECURRENCE-ID) applied, and print them as JSON: uid, start (seconds), summary, status.
import ICAL from "ical.js";

const [from, to] = process.argv.slice(2).map(Number);
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const calendar = new ICAL.Component(ICAL.parse(Buffer.concat(chunks).toString("utf8")));
for (const zone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(zone);
}

const masters = new Map();
const overrides = [];
for (const component of calendar.getAllSubcomponents("vevent")) {
  const event = new ICAL.Event(component);
  if (component.hasProperty("recurrence-id")) overrides.push(event);
  else masters.set(event.uid, event);
}
for (const override of overrides) masters.get(override.uid)?.relateException(override);

const found = [];
const seconds = (time) => (time.isDate ? time.toUnixTime() : time.toUnixTime());
for (const event of masters.values()) {
  if (!event.isRecurring()) {
    const start = seconds(event.startDate);
    if (start < to && seconds(event.endDate) > from) {
      found.push({ uid: event.uid, start, summary: event.summary, status: event.component.getFirstPropertyValue("status") });
    }
    continue;
  }
  const iterator = event.iterator();
  for (let next = iterator.next(), steps = 0; next && steps < 5000; next = iterator.next(), steps++) {
    const details = event.getOccurrenceDetails(next);
    const start = seconds(details.startDate);
    // A moved occurrence can lie far from its original date: look a year either side.
    if (seconds(next) > to + 366 * 86400) break;
    if (start < to && seconds(details.endDate) > from) {
      found.push({
        uid: event.uid,
        start,
        summary: details.item.summary,
        status: details.item.component.getFirstPropertyValue("status"),
      });
    }
  }
}
process.stdout.write(JSON.stringify(found));
