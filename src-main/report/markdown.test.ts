import { describe, expect, it } from 'vitest';
import { notesHtml } from './markdown.js';

describe("the auditor's notes", () => {
  it('renders headings, paragraphs, lists, bold, italics and code', () => {
    expect(notesHtml('# Scope\n\nSigned off for **internal** use,\n*not* for `prod`.\n\n- one\n- two\n\n1. first')).toBe(
      '<h4>Scope</h4>\n<p>Signed off for <strong>internal</strong> use, <em>not</em> for <code>prod</code>.</p>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n<ol>\n<li>first</li>\n</ol>',
    );
  });

  it('escapes every character before adding markup, so notes cannot inject HTML', () => {
    const html = notesHtml('<img src="http://x/y.png" onerror=alert(1)> & **<b>**');
    expect(html).not.toMatch(/<img|<b>/);
    expect(html).toContain('&lt;img src=&quot;http://x/y.png&quot; onerror=alert(1)&gt; &amp; <strong>&lt;b&gt;</strong>');
  });
});
