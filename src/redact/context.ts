/**
 * Labels that say a number is something else: "order #4155552671" or "ticket no. 123-45-6789" is an
 * order or a ticket, however much it looks like a phone number or an SSN. Only the text just before
 * the number is read.
 */
const OTHER_NUMBER_LABEL =
  /(?:\b(?:order|invoice|inv|ref|reference|tracking|ticket|case|account|acct|customer|client|confirmation|booking|reservation|po|sku|serial|isbn|issn|(?<!\b(?:tax|national|social|personal)\s)id|policy|claim|member|membership|transaction|txn|receipt|shipment|parcel|package|item|product|part|model|batch|lot|patient|employee|student|version|build)\b\.?(?:\s*(?:#|no\.?|nr\.?|num(?:ber)?|id|code))?|[#№])\s*[:#.=-]?\s*$/i;

/** How much text before a number is read for its label. */
const LABEL_WINDOW = 40;

/** Whether the number at `start` is labelled as an order, a ticket, an id... */
export function labelledAsOtherNumber(text: string, start: number): boolean {
  return OTHER_NUMBER_LABEL.test(text.slice(Math.max(0, start - LABEL_WINDOW), start));
}
