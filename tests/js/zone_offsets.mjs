// Read {"calendar": text, "tzid": name, "times": [[y, m, d, h, min, s], ...]} from stdin:
// wall times in that zone. Print the UTC offset in seconds ical.js gives each, reading the
// zone from the calendar's VTIMEZONE only.
import ICAL from "ical.js";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { calendar: text, tzid, times } = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const calendar = new ICAL.Component(ICAL.parse(text));
const component = calendar
  .getAllSubcomponents("vtimezone")
  .find((zone) => zone.getFirstPropertyValue("tzid") === tzid);
const zone = new ICAL.Timezone(component);
const offsets = times.map(([year, month, day, hour, minute, second]) =>
  zone.utcOffset(new ICAL.Time({ year, month, day, hour, minute, second, isDate: false })),
);
process.stdout.write(JSON.stringify(offsets));
