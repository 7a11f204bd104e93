/**
 * The auditor's notes as HTML: a small, escaped Markdown subset (headings, paragraphs, bullet
 * and numbered lists, bold, italics, inline code). Every character of the input is escaped
 * before any markup is added, so notes can never inject HTML or reach the network.
 */
function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function inline(text: string): string {
  return escapeHtml(text)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^*])\*([^*\s][^*]*)\*/g, '$1<em>$2</em>');
}

export function notesHtml(markdown: string): string {
  const out: string[] = [];
  let list: 'ul' | 'ol' | null = null;
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length) out.push(`<p>${inline(paragraph.join(' '))}</p>`);
    paragraph = [];
  };
  const close = () => {
    if (list) out.push(`</${list}>`);
    list = null;
  };
  for (const raw of markdown.replace(/\r\n?/g, '\n').split('\n')) {
    const line = raw.trim();
    const heading = /^(#{1,3})\s+(.*)$/.exec(line);
    const item = /^(?:([-*])|(\d+)[.)])\s+(.*)$/.exec(line);
    if (!line) {
      flush();
      close();
    } else if (heading) {
      flush();
      close();
      out.push(`<h4>${inline(heading[2])}</h4>`);
    } else if (item) {
      flush();
      const kind = item[1] ? 'ul' : 'ol';
      if (list !== kind) {
        close();
        out.push(`<${kind}>`);
        list = kind;
      }
      out.push(`<li>${inline(item[3])}</li>`);
    } else {
      close();
      paragraph.push(line);
    }
  }
  flush();
  close();
  return out.join('\n');
}
