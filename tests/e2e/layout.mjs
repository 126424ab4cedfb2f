// Layout checks shared by browser scripts (issue 16): a page must fit the screen it is shown
// on, keep its text at 16 px at least and, on a phone, give every control a 44 px target.

/** What is wrong with the layout of the page as shown now (an empty list when nothing is).
 *  `phone`: also check touch targets. */
export const layoutProblems = (page, phone) => page.evaluate((phone) => {
  const problems = [];
  const vw = window.innerWidth;
  const doc = document.documentElement;
  if (doc.scrollWidth > vw || document.body.scrollWidth > vw) {
    // Name what sticks out, for the message.
    const out = [...document.querySelectorAll('body *')]
      .filter((e) => {
        const r = e.getBoundingClientRect();
        if (r.width <= 1 || r.height <= 1) return false;
        if (e.closest('.wide')) return false;
        return r.right > vw + 1 || r.left < -1;
      })
      .slice(0, 5)
      .map((e) => `${e.tagName.toLowerCase()}${e.className ? '.' + String(e.className).replace(/ /g, '.') : ''} (${Math.round(e.getBoundingClientRect().left)}..${Math.round(e.getBoundingClientRect().right)}): ${(e.textContent || '').trim().slice(0, 40)}`);
    problems.push(`the page is ${Math.max(doc.scrollWidth, document.body.scrollWidth)} px wide in a ${vw} px window: ${out.join(' | ')}`);
  }
  const visible = (e) => {
    const r = e.getBoundingClientRect();
    const s = getComputedStyle(e);
    return r.width > 1 && r.height > 1 && s.visibility !== 'hidden' && s.display !== 'none';
  };
  // Text smaller than 16 px (any element holding text of its own).
  const small = new Set();
  for (const e of document.querySelectorAll('body *')) {
    const own = [...e.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
    if (!own || !visible(e)) continue;
    const size = parseFloat(getComputedStyle(e).fontSize);
    if (size < 15.9) small.add(`${e.tagName.toLowerCase()} ${size}px: ${e.textContent.trim().slice(0, 30)}`);
  }
  if (small.size) problems.push(`text under 16 px: ${[...small].slice(0, 6).join(' | ')}`);
  if (phone) {
    const tiny = [];
    for (const e of document.querySelectorAll('a[href], button, select, textarea, input:not([type=hidden]), summary')) {
      if (!visible(e)) continue;
      const target = ['radio', 'checkbox'].includes(e.type) ? (e.closest('label') || e) : e;
      const r = target.getBoundingClientRect();
      if (r.height < 43.5 || r.width < 43.5) {
        tiny.push(`${e.tagName.toLowerCase()}${e.name ? `[name=${e.name}]` : ''} ${Math.round(r.width)}x${Math.round(r.height)}: ${(e.textContent || e.value || '').trim().slice(0, 30)}`);
      }
    }
    if (tiny.length) problems.push(`touch targets under 44 px: ${tiny.slice(0, 8).join(' | ')}`);
  }
  return problems;
}, phone);

/** What reads in the wrong order on the page (issue 16): a date, time, reference, amount or
 *  other left-to-right value (`time`, `bdi.ref`, `bdi.amount`, `bdi.ltr`) whose first
 *  character is drawn right of its last (a time before its date, a minus sign after its
 *  number), or a reference broken across lines. */
export const bidiProblems = (page) => page.evaluate(() => {
  const problems = [];
  for (const e of document.querySelectorAll('time, bdi.ref, bdi.amount, bdi.ltr')) {
    const text = e.textContent;
    if (text.trim().length < 2 || !e.getClientRects().length) continue;
    const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
    const nodes = [];
    while (walker.nextNode()) if (walker.currentNode.textContent.length) nodes.push(walker.currentNode);
    if (!nodes.length) continue;
    const rect = (node, i) => {
      const r = document.createRange();
      r.setStart(node, i);
      r.setEnd(node, i + 1);
      return r.getBoundingClientRect();
    };
    const first = rect(nodes[0], 0);
    const lastNode = nodes[nodes.length - 1];
    const last = rect(lastNode, lastNode.textContent.length - 1);
    if (Math.abs(first.top - last.top) > 2) {
      problems.push(`"${text}" is broken across lines`);
    } else if (first.left > last.left + 0.5) {
      problems.push(`"${text}" reads right to left`);
    }
  }
  return problems;
});
